/**
 * The two processes of a grade, as exec requests. The subject runs the candidate's code as the
 * candidate uid in /workspace; the harness runs the hidden tests as the harness uid in a private
 * folder. Both programs are small bootstraps given on the command line (public code); what they run —
 * the bridge files from sandboxes/harness/<env>/, the hidden tests and the report nonce — travels on
 * their stdin, so no hidden test or nonce is ever a file in /workspace or visible in a process list.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecRequest, SandboxFile } from '../../sandbox/index.ts';

/** The bridges shipped with worksample (read at grading time, not baked into the images). */
export const BRIDGE_ROOT = path.resolve(import.meta.dirname, '../../../sandboxes/harness');

interface Kit {
  boot: string;
  subjectArgv: (boot: string) => string[];
  harnessArgv: (boot: string) => string[];
  /** Files of each side; the first one's main() runs. */
  subjectFiles: string[];
  harnessFiles: string[];
  /** Files the harness folder gets unless the task's tests bring their own. */
  defaults: Record<string, string>;
}

const KITS: Record<string, Kit> = {
  node: {
    boot: 'node/boot.mjs',
    // The subject's workers run with tsx (so .ts modules load); its listener and the harness need nothing.
    subjectArgv: (boot) => ['node', '--input-type=module', '-e', boot],
    harnessArgv: (boot) => ['node', '--input-type=module', '-e', boot],
    subjectFiles: ['worksample-subject.mjs', 'worksample-bridge.mjs'],
    harnessFiles: [
      'worksample-run.mjs',
      'worksample-bridge.mjs',
      'worksample-harness.mjs',
      'worksample-tap.mjs',
    ],
    defaults: { 'package.json': '{ "private": true, "type": "module" }\n' },
  },
  python: {
    boot: 'python/boot.py',
    // -I: no user site-packages, no PYTHON* variables, no script folder on sys.path.
    subjectArgv: (boot) => ['python3', '-I', '-c', boot],
    harnessArgv: (boot) => ['python3', '-I', '-c', boot],
    subjectFiles: ['worksample_subject.py', 'worksample_bridge.py'],
    harnessFiles: ['worksample_run.py', 'worksample_bridge.py', 'worksample_harness.py'],
    defaults: {},
  },
};

/** Names a hidden test may not take: the harness runtime's own files. */
export const RESERVED_TEST_PREFIXES = ['worksample-', 'worksample_', '.worksample'];

export interface GradePlanInput {
  /** Sandbox environment (the manifest's environment.image). */
  env: string;
  /** The grade command, run in the harness folder. */
  grade: string[];
  report: { format: 'tap' | 'junit'; path?: string };
  /** Candidate modules the subject may load (environment.subject.modules). */
  modules: string[];
  /** Hidden tests, paths relative to the task's tests/ folder. */
  hidden: SandboxFile[];
  /** Absolute path of the workspace as processes in the session see it. */
  workspace: string;
  llmEnv?: Record<string, string>;
}

export interface GradePlan {
  subject: ExecRequest;
  harness: ExecRequest;
  nonce: string;
}

/** True when worksample ships a harness for the environment. */
export const hasHarness = (env: string) => Object.hasOwn(KITS, env);

export async function planGrade(input: GradePlanInput): Promise<GradePlan> {
  const kit = KITS[input.env];
  if (!kit || !hasHarness(input.env))
    throw new Error(`no hidden-test harness for the ${JSON.stringify(input.env)} environment`);
  const read = (name: string) => readFile(path.join(BRIDGE_ROOT, path.dirname(kit.boot), name));
  const boot = (await readFile(path.join(BRIDGE_ROOT, kit.boot))).toString('utf8');
  const nonce = randomBytes(16).toString('hex');
  const socket = `${input.workspace}/.worksample-bridge-${randomBytes(4).toString('hex')}.sock`;
  const config = { socket, modules: input.modules };

  const subjectFiles: Record<string, string> = {};
  for (const f of kit.subjectFiles) subjectFiles[f] = (await read(f)).toString('base64');

  const harnessFiles: Record<string, string> = {};
  for (const f of input.hidden) {
    if (RESERVED_TEST_PREFIXES.some((p) => f.path.startsWith(p)))
      throw new Error(`the hidden test ${f.path} takes a name reserved for the harness runtime`);
    harnessFiles[f.path] = f.content.toString('base64');
  }
  for (const [name, text] of Object.entries(kit.defaults))
    if (!harnessFiles[name]) harnessFiles[name] = Buffer.from(text).toString('base64');
  for (const f of kit.harnessFiles) harnessFiles[f] = (await read(f)).toString('base64');

  const line = (bundle: object) => `${JSON.stringify(bundle)}\n`;
  return {
    nonce,
    subject: {
      argv: kit.subjectArgv(boot),
      env: input.llmEnv,
      stdin: line({ root: 'tmp', files: subjectFiles, main: kit.subjectFiles[0], config }),
      closeStdin: true,
    },
    harness: {
      argv: kit.harnessArgv(boot),
      env: input.llmEnv,
      user: 'harness',
      stdin: line({
        root: 'cwd',
        files: harnessFiles,
        main: kit.harnessFiles[0],
        config: { ...config, argv: input.grade, report: input.report, nonce },
      }),
      closeStdin: true,
    },
  };
}
