/**
 * Files a task promises: every relative path the statement names, or that the starter's code, its
 * visible tests or the hidden tests open for reading, must exist in the task package. Catches data
 * files lost on the way (an ignore rule, a forgotten copy) before a candidate hits FileNotFoundError.
 */
import type { LoadedTask } from './load.ts';

export interface Reference {
  /** The file that names the path (statement.md, starter/main.py, tests/test_hidden.py …). */
  from: string;
  path: string;
}

const SOURCE = /\.(?:py|[cm]?[jt]s)$/;

/** Paths the statement names: quoted or in backticks, with a folder and an extension (`data/x.json`). */
function statementPaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[`'"]((?:[\w.-]+\/)+[\w.-]+\.[A-Za-z0-9]{1,8})[`'"]/g)) out.push(m[1]!);
  return out;
}

/** Paths code opens for reading: open("…") without a write mode, readFileSync/readFile/createReadStream('…'). */
function codePaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bopen\(\s*(['"])([^'"\n]+)\1\s*(?:,\s*(?:mode\s*=\s*)?(['"])([^'"]*)\3)?/g))
    if (!/[wax+]/.test(m[4] ?? '')) out.push(m[2]!);
  for (const m of text.matchAll(/\b(?:readFileSync|readFile|createReadStream)\(\s*(['"`])([^'"`\n]+)\1/g))
    out.push(m[2]!);
  return out;
}

const relative = (p: string) =>
  !p.startsWith('/') && !/^[a-z]+:/i.test(p) && !/[${}*]/.test(p) && !p.split('/').includes('..');

/** Every reference in the package, deduplicated. */
export function fileReferences(task: LoadedTask): Reference[] {
  const refs = new Map<string, Reference>();
  const add = (from: string, paths: string[]) => {
    for (const p of paths.map((x) => x.replace(/^\.\//, '')).filter(relative))
      refs.set(`${from}\0${p}`, { from, path: p });
  };
  add('statement.md', statementPaths(task.statement));
  for (const f of task.files) {
    if (!SOURCE.test(f.path) || !(f.path.startsWith('starter/') || f.path.startsWith('tests/'))) continue;
    add(f.path, codePaths(f.content.toString('utf8')));
  }
  return [...refs.values()];
}

/**
 * References that resolve to no file. A path counts as present when the candidate's workspace has it
 * (starter/<p>), the grading workspace has it (tests/<p>), or the package has it as given (outputs/…).
 */
export function missingReferences(task: LoadedTask): Reference[] {
  const have = new Set(task.files.map((f) => f.path));
  const exists = (p: string) => have.has(p) || have.has(`starter/${p}`) || have.has(`tests/${p}`);
  return fileReferences(task).filter((r) => !exists(r.path));
}
