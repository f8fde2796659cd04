/**
 * Loads and validates a task package folder (`tasks/<slug>/`).
 *
 * Stops: a task author smuggling host files or resource exhaustion into the
 * platform. Symlinks anywhere in the folder (including the folder itself) are
 * refused rather than followed, files are opened with O_NOFOLLOW and must be
 * regular files (no FIFOs or devices), and file count, per-file size and total
 * size are capped before content is read. Paths from the manifest are only
 * looked up in the walked file list, never joined onto the filesystem.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseYamlText } from '../authoring/index.ts';
import { computeContentHash, sha256Hex } from './hash.ts';
import {
  isSafeRelativePath,
  parseTaskManifest,
  subjectModuleProblem,
  type TaskManifest,
} from './manifest.ts';

export type TaskFileRole =
  'statement' | 'starter' | 'tests' | 'solution' | 'wrong' | 'llm' | 'outputs' | 'manifest' | 'other';

export interface TaskFile {
  /** POSIX path relative to the task folder, NFC-normalised, e.g. `starter/main.ts`. */
  path: string;
  role: TaskFileRole;
  content: Buffer;
  sha256: string;
}

export interface LoadedTask {
  manifest: TaskManifest;
  statement: string;
  /** Every file in the package, sorted by path. */
  files: TaskFile[];
  /** SHA-256 hex over the sorted `(path, sha256)` pairs; see `computeContentHash`. */
  contentHash: string;
}

export type LoadResult = { ok: true; task: LoadedTask } | { ok: false; errors: string[] };

export interface TaskLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_TASK_LIMITS: Readonly<TaskLimits> = {
  maxFiles: 2000,
  maxFileBytes: 5 * MiB,
  maxTotalBytes: 50 * MiB,
};

export interface LoadOptions {
  limits?: Partial<TaskLimits>;
}

const TOP_LEVEL_ROLES: Record<string, TaskFileRole> = {
  starter: 'starter',
  tests: 'tests',
  solution: 'solution',
  wrong: 'wrong',
  llm: 'llm',
  outputs: 'outputs',
};

/** The role of a file from its path inside the task folder. */
export function roleOf(filePath: string): TaskFileRole {
  if (filePath === 'task.yaml') return 'manifest';
  if (filePath === 'statement.md') return 'statement';
  const slash = filePath.indexOf('/');
  return (slash > 0 && TOP_LEVEL_ROLES[filePath.slice(0, slash)]) || 'other';
}

interface Tree {
  files: TaskFile[];
  dirs: Set<string>;
  /** Paths refused (symlinks, oversize, unreadable): reported once, never as "missing". */
  refused: Set<string>;
  /** True when a cap stopped the walk; the tree is then incomplete. */
  capped: boolean;
}

// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\u0000-\u001f\u007f\\]/;
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

const bytes = (n: number) => (n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`);
const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** Walks the folder in sorted order, collecting files and every error; stops at a cap. */
async function walk(root: string, label: string, limits: TaskLimits, errors: string[]): Promise<Tree> {
  const tree: Tree = { files: [], dirs: new Set(), refused: new Set(), capped: false };
  const seen = new Set<string>();
  let fileCount = 0;
  let totalBytes = 0;
  const stop = (message: string) => {
    errors.push(message);
    tree.capped = true;
    return tree;
  };
  const stack: Array<{ fsRel: string; rel: string }> = [{ fsRel: '', rel: '' }];
  while (stack.length > 0) {
    const { fsRel, rel: parent } = stack.pop()!;
    let entries;
    try {
      entries = await readdir(path.join(root, fsRel), { withFileTypes: true });
    } catch (e) {
      errors.push(`${label}/${parent}: cannot read folder (${errCode(e)})`);
      continue;
    }
    // Reverse order, so popping the stack visits folders alphabetically and errors come out sorted.
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const rel = (parent ? `${parent}/${entry.name}` : entry.name).normalize('NFC');
      const childFsRel = fsRel ? `${fsRel}/${entry.name}` : entry.name;
      const shown = `${label}/${rel}`;
      if (BAD_NAME.test(entry.name)) {
        errors.push(
          `${label}/${JSON.stringify(rel).slice(1, -1)}: name contains a control character or backslash`,
        );
      } else if (seen.has(rel)) {
        errors.push(`${shown}: duplicate path after Unicode normalisation`);
      } else if (entry.isSymbolicLink()) {
        tree.refused.add(rel);
        errors.push(`${shown}: symlinks are not allowed`);
      } else if (entry.isDirectory()) {
        seen.add(rel);
        tree.dirs.add(rel);
        if (tree.dirs.size > limits.maxFiles) return stop(`${label}: more than ${limits.maxFiles} folders`);
        stack.push({ fsRel: childFsRel, rel });
      } else if (!entry.isFile()) {
        tree.refused.add(rel);
        errors.push(`${shown}: not a regular file`);
      } else {
        seen.add(rel);
        if (++fileCount > limits.maxFiles) {
          return stop(`${label}: more than ${limits.maxFiles} files (the limit)`);
        }
        const read = await readRegularFile(path.join(root, childFsRel), limits.maxFileBytes);
        if (typeof read === 'string') {
          tree.refused.add(rel);
          errors.push(`${shown}: ${read}`);
          continue;
        }
        totalBytes += read.length;
        if (totalBytes > limits.maxTotalBytes) {
          return stop(`${label}: files total more than ${bytes(limits.maxTotalBytes)} (the limit)`);
        }
        tree.files.push({ path: rel, role: roleOf(rel), content: read, sha256: sha256Hex(read) });
      }
    }
  }
  return tree;
}

/** Reads a regular file without following a symlink; returns a reason string on refusal. */
async function readRegularFile(abs: string, maxBytes: number): Promise<Buffer | string> {
  let handle;
  try {
    handle = await open(abs, OPEN_FLAGS);
  } catch (e) {
    return errCode(e) === 'ELOOP' ? 'symlinks are not allowed' : `cannot read (${errCode(e)})`;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return 'not a regular file';
    const tooBig = `larger than the ${bytes(maxBytes)} per-file limit`;
    if (stat.size > maxBytes) return tooBig;
    const content = await handle.readFile();
    return content.length > maxBytes ? tooBig : content;
  } catch (e) {
    return `cannot read (${errCode(e)})`;
  } finally {
    await handle.close();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(content: Buffer): string | undefined {
  try {
    return utf8.decode(content);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const listAt = (v: unknown, key: string): unknown[] => (isRecord(v) && Array.isArray(v[key]) ? v[key] : []);

/**
 * Checks that tie the manifest to the file tree. Works on the raw YAML so these
 * errors are reported alongside schema errors; values the schema rejects are skipped.
 */
function checkTree(label: string, folderName: string, raw: Record<string, unknown>, tree: Tree): string[] {
  const errors: string[] = [];
  const at = `${label}/task.yaml`;
  const files = new Set([...tree.files.map((f) => f.path), ...tree.refused]);
  const dirs = new Set([...tree.dirs, ...tree.refused]);
  if (typeof raw.slug === 'string' && raw.slug !== folderName) {
    errors.push(`${at}: slug: expected "${folderName}" (the folder name), got "${raw.slug}"`);
  }
  if (raw.kind === 'code') {
    for (const dir of ['starter', 'tests', 'solution']) {
      if (!dirs.has(dir)) errors.push(`${label}: missing ${dir}/ (required for kind code)`);
    }
  }
  const listed: Array<[string, unknown[], string]> = [
    ['tests.visible', listAt(raw.tests, 'visible'), 'starter'],
    ['tests.hidden', listAt(raw.tests, 'hidden'), 'tests'],
    ['critique.outputs', listAt(raw.critique, 'outputs'), 'outputs'],
  ];
  for (const [field, paths, base] of listed) {
    paths.forEach((p, i) => {
      if (typeof p === 'string' && isSafeRelativePath(p) && !files.has(`${base}/${p.normalize('NFC')}`)) {
        const generated =
          field === 'critique.outputs' &&
          listAt(raw.critique, 'generate').some((g) => isRecord(g) && g.output === p);
        errors.push(
          `${at}: ${field}[${i}]: file ${base}/${p} does not exist${generated ? ` (make it with: worksample tasks generate-outputs ${label})` : ''}`,
        );
      }
    });
  }
  const env = isRecord(raw.environment) ? raw.environment : {};
  const haveCode = dirs.has('starter') || dirs.has('solution');
  listAt(env.subject, 'modules').forEach((m, i) => {
    // The schema reports invalid names, and a missing starter/ and solution/ is reported above.
    if (typeof m !== 'string' || m === '' || subjectModuleProblem(env.image, m) || !haveCode) return;
    // The file a module name or path stands for.
    const base = env.image === 'python' ? m.replace(/\./g, '/') : m;
    const candidates = env.image === 'python' ? [`${base}.py`, `${base}/__init__.py`] : [m];
    const found = candidates.some((c) => ['starter', 'solution'].some((d) => files.has(`${d}/${c}`)));
    if (!found)
      errors.push(
        `${at}: environment.subject.modules[${i}]: neither starter/${candidates[0]} nor solution/${candidates[0]} exists`,
      );
  });
  const answerKey = isRecord(raw.critique) ? raw.critique.answerKey : undefined;
  if (typeof answerKey === 'string' && isSafeRelativePath(answerKey)) {
    const key = answerKey.normalize('NFC');
    if (!files.has(key)) errors.push(`${at}: critique.answerKey: file ${answerKey} does not exist`);
    // The key must stay reviewer-only: statement, outputs/ and starter/ reach the candidate.
    else if (roleOf(key) !== 'other')
      errors.push(
        `${at}: critique.answerKey: ${answerKey} would be shown to candidates; keep the key in a folder of its own, e.g. key/flaws.yaml`,
      );
  }
  const wrongNames = new Set<string>();
  listAt(raw, 'wrong').forEach((w, i) => {
    const name = isRecord(w) ? w.name : undefined;
    if (typeof name !== 'string' || !isSafeRelativePath(name) || name.includes('/')) return;
    wrongNames.add(name);
    if (!dirs.has(`wrong/${name}`))
      errors.push(`${at}: wrong[${i}].name: folder wrong/${name}/ does not exist`);
  });
  for (const dir of tree.dirs) {
    const name = dir.startsWith('wrong/') ? dir.slice('wrong/'.length) : '';
    if (name && !name.includes('/') && !wrongNames.has(name)) {
      errors.push(`${at}: wrong: folder wrong/${name}/ exists but is not listed`);
    }
  }
  for (const f of tree.files) {
    if (f.role === 'wrong' && f.path.split('/').length === 2) {
      errors.push(`${label}/${f.path}: expected only folders inside wrong/`);
    }
  }
  return errors;
}

/** Checks the task folder itself: it must exist, be a directory and not be a symlink. */
async function checkRoot(dir: string, label: string): Promise<string | undefined> {
  try {
    const stat = await lstat(dir);
    if (stat.isSymbolicLink()) return `${label}: symlinks are not allowed`;
    if (!stat.isDirectory()) return `${label}: not a directory`;
    return undefined;
  } catch (e) {
    return errCode(e) === 'ENOENT'
      ? `${label}: task folder does not exist`
      : `${label}: cannot read (${errCode(e)})`;
  }
}

/**
 * Loads a task package folder and validates it completely: manifest schema,
 * statement, the files the manifest names, `wrong/` folders, symlinks and size
 * caps. Every problem is collected as a `path: field: message` line; messages
 * use `dir` exactly as given (relative stays relative).
 */
export async function loadTaskDir(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const limits: TaskLimits = { ...DEFAULT_TASK_LIMITS, ...options.limits };
  const label = dir.replace(/[\\/]+$/, '') || dir;
  const rootError = await checkRoot(dir, label);
  if (rootError) return { ok: false, errors: [rootError] };

  const errors: string[] = [];
  const tree = await walk(dir, label, limits, errors);
  // Past a cap the tree is incomplete, so "missing file" errors would mislead.
  if (tree.capped) return { ok: false, errors };
  const byPath = new Map(tree.files.map((f) => [f.path, f]));

  let manifest: TaskManifest | undefined;
  const manifestFile = byPath.get('task.yaml');
  if (!manifestFile) {
    if (!tree.refused.has('task.yaml')) errors.push(`${label}: missing task.yaml`);
  } else {
    const file = `${label}/task.yaml`;
    const text = decodeUtf8(manifestFile.content);
    const parsed =
      text === undefined
        ? { ok: false as const, errors: [`${file}: not valid UTF-8`] }
        : parseYamlText(file, text);
    if (!parsed.ok) {
      errors.push(...parsed.errors);
    } else {
      const result = parseTaskManifest(file, parsed.data);
      if (result.ok) manifest = result.manifest;
      else errors.push(...result.errors);
      if (isRecord(parsed.data)) {
        errors.push(...checkTree(label, path.basename(path.resolve(dir)), parsed.data, tree));
      }
    }
  }

  let statement = '';
  const statementFile = byPath.get('statement.md');
  if (!statementFile) {
    if (!tree.refused.has('statement.md')) errors.push(`${label}: missing statement.md`);
  } else {
    const decoded = decodeUtf8(statementFile.content);
    if (decoded === undefined) errors.push(`${label}/statement.md: not valid UTF-8`);
    else if (decoded.trim() === '') errors.push(`${label}/statement.md: is empty`);
    else statement = decoded;
  }

  if (errors.length > 0 || !manifest) return { ok: false, errors };
  const files = [...tree.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: true, task: { manifest, statement, files, contentHash: computeContentHash(files) } };
}
