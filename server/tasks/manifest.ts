/**
 * The `task.yaml` manifest schema and its error formatting.
 *
 * Stops: path traversal through the manifest. Every path an author lists
 * (`tests.visible`, `tests.hidden`, `critique.outputs`, `critique.answerKey`) must be a plain relative
 * path with no `..`, `.` or empty segments, no leading `/`, no backslash and no
 * control characters, so no consumer can be tricked into reading outside the
 * task folder by a value it joins onto a directory.
 */
import { z } from 'zod';
import { fallbackMessage, formatIssuePath, formatZodIssues } from '../authoring/index.ts';

export { formatIssuePath, formatZodIssues } from '../authoring/index.ts';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Message for a wrong-typed value that says "required" when the key is simply missing. */
const typeError = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `expected ${what}`;

const text = (max: number) =>
  z
    .string({ error: typeError('a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `expected at most ${max} characters` });

const kebab = (what: string) =>
  z
    .string({ error: typeError('a string') })
    .max(64, { error: 'expected at most 64 characters' })
    .regex(KEBAB, { error: `expected a lowercase kebab-case ${what} like "my-${what}"` });

const positiveInt = (fallback: number) =>
  z
    .number({ error: typeError('a positive whole number') })
    .int({ error: 'expected a positive whole number' })
    .positive({ error: 'expected a positive whole number' })
    .default(fallback);

const flag = (fallback: boolean) => z.boolean({ error: typeError('true or false') }).default(fallback);

/** True when `p` is a safe, normalised relative POSIX path (see module header). */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.startsWith('/') || p.includes('\\') || CONTROL_CHARS.test(p)) {
    return false;
  }
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const relPath = z.string({ error: typeError('a relative path') }).refine(isSafeRelativePath, {
  error: 'expected a relative path inside the folder (no "..", no leading "/", no "\\")',
});

/**
 * A glob over workspace paths (`*` within a folder, `**` across folders, `?` one character), relative
 * like `relPath`; braces, brackets and negation are not supported, so a glob cannot hide a pattern
 * the loader does not understand.
 */
const glob = z
  .string({ error: typeError('a glob like "**/*.test.ts"') })
  .max(200, { error: 'expected at most 200 characters' })
  .regex(/^[A-Za-z0-9_.*?\/-]+$/, {
    error: 'expected a glob of letters, digits, "_", ".", "-", "/", "*" and "?" like "**/*.test.ts"',
  })
  .refine(isSafeRelativePath, {
    error: 'expected a relative path inside the folder (no "..", no leading "/", no "\\")',
  });

const argv = z
  .array(z.string({ error: typeError('a string') }).min(1, { error: 'must not be empty' }), {
    error: typeError('a command as a list of strings, e.g. ["node", "main.mjs"]'),
  })
  .min(1, { error: 'expected at least one element (the program to run)' });

/** A list whose items must be unique by `key`; reports the duplicate's own index. */
function uniqueList<T extends z.ZodType>(item: T, key: (v: z.output<T>) => string, what: string) {
  return z.array(item, { error: typeError('a list') }).superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((v, i) => {
      const k = key(v);
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${what} "${k}"` });
      seen.add(k);
    });
  });
}

const PY_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Why `module` cannot name a subject module in environment `image`, or undefined. */
export function subjectModuleProblem(image: unknown, module: string): string | undefined {
  if (image === 'python')
    return PY_MODULE.test(module) ? undefined : 'expected a Python module name like "rag" or "pkg.module"';
  return isSafeRelativePath(module)
    ? undefined
    : 'expected a relative path inside the workspace like "src/triage.ts"';
}

/**
 * The candidate modules hidden tests may call through the grading bridge: relative paths for node
 * (`src/triage.ts`), dotted module names for python (`rag`). Checked against the image in the
 * environment refinement below.
 */
const subjectSchema = z
  .strictObject({
    modules: uniqueList(
      z
        .string({ error: typeError('a module') })
        .min(1, { error: 'must not be empty' })
        .max(200, {
          error: 'expected at most 200 characters',
        }),
      (m) => m,
      'module',
    ).default([]),
  })
  .prefault({});

const question = z.strictObject({ id: kebab('id'), prompt: text(4000) });
const questions = uniqueList(question, (q) => q.id, 'question id');

/**
 * True when argv is `node … --import tsx …`: the only form `environment.compile: esbuild` accepts
 * (the same command still runs as written wherever the compile step does not apply).
 */
export function compilableArgv(argv: readonly string[]): boolean {
  return (
    argv[0] === 'node' &&
    argv.some((a, i) => a === '--import=tsx' || (a === '--import' && argv[i + 1] === 'tsx'))
  );
}

const environmentSchema = z
  .strictObject({
    image: z
      .string({ error: typeError('a sandbox environment name') })
      .regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a sandbox environment name like "node" or "python"' }),
    run: argv,
    test: argv,
    grade: argv.optional(),
    /** How the grade command reports per-test results: TAP on stdout, or a JUnit XML file it writes. */
    report: z
      .strictObject({
        format: z.enum(['tap', 'junit'], { error: 'expected tap or junit' }),
        /** The JUnit file, relative to the harness's private folder where the grade command runs. */
        path: relPath.optional(),
      })
      .refine((r) => r.format !== 'junit' || r.path, {
        error: 'junit reports need a path (the file the grade command writes)',
      })
      .default({ format: 'tap' }),
    /** What the grading harness's hidden tests may call in the candidate's code (docs/HIDDEN-TESTS.md). */
    subject: subjectSchema,
    /**
     * `esbuild`: Runs and Run tests compile the TypeScript on the server and run plain node on it
     * (server/runs/compile.ts) instead of `node --import tsx` at every Run. Grading keeps `grade` as is.
     */
    compile: z.enum(['esbuild'], { error: 'expected esbuild (or leave compile out)' }).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.compile === 'esbuild')
      for (const key of ['run', 'test'] as const)
        if (!compilableArgv(env[key]))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `compile: esbuild needs a command of the form ['node', '--import', 'tsx', <file.ts>, …]`,
          });
    env.subject.modules.forEach((m, i) => {
      const problem = subjectModuleProblem(env.image, m);
      if (problem) ctx.addIssue({ code: 'custom', path: ['subject', 'modules', i], message: problem });
    });
  })
  .transform((env) => ({ ...env, grade: env.grade ?? env.test }));

const levelText = text(1000);

const criterionSchema = z.strictObject({
  id: kebab('id'),
  title: text(120),
  description: text(2000).optional(),
  weight: z
    .number({ error: typeError('a positive number') })
    .positive({ error: 'expected a positive number' })
    .default(1),
  levels: z.strictObject(
    { 1: levelText, 2: levelText, 3: levelText, 4: levelText },
    { error: typeError('a mapping with descriptors for levels 1, 2, 3 and 4') },
  ),
});

export const DEFAULT_CRITIQUE_CATEGORIES = [
  'factual-error',
  'hallucinated-api',
  'unsafe',
  'ignores-instruction',
  'formatting',
  'other',
] as const;

const KINDS = ['code', 'critique', 'written'] as const;

/** Upstreams a model alias can be served by (server/llm/index.ts). */
export const LLM_PROVIDERS = ['mock', 'openai', 'anthropic'] as const;

/** Whether the task offers the IDE assistant (`llm.assistant`). */
export const ASSISTANT_MODES = ['off', 'chat'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// Defaults are not applied to raw data, so undefined counts as empty.
const isEmptyList = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);

/**
 * Rules spanning several fields (mostly "kind X needs section Y"). Reads its
 * input defensively so `parseTaskManifest` can also run it on raw YAML when
 * other fields failed: zod skips object refinements after such failures, and
 * the author should see every problem at once.
 */
function crossFieldIssues(value: unknown): Array<{ path: PropertyKey[]; message: string }> {
  if (!isRecord(value)) return [];
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const { kind } = value;
  const has = (key: string) => value[key] !== undefined;
  if (kind === 'code' && !has('environment'))
    issues.push({ path: ['environment'], message: 'required when kind is code' });
  if (kind === 'critique' && !has('critique'))
    issues.push({ path: ['critique'], message: 'required when kind is critique' });
  for (const section of ['critique', 'written'] as const) {
    if (typeof kind === 'string' && kind !== section && has(section)) {
      issues.push({ path: [section], message: `only allowed when kind is ${section}` });
    }
  }
  const tests = isRecord(value.tests) ? value.tests : {};
  if (kind === 'code' && isEmptyList(tests.hidden)) {
    issues.push({ path: ['tests', 'hidden'], message: 'a code task needs at least one hidden test' });
  }
  if (Array.isArray(tests.hidden))
    tests.hidden.forEach((p, i) => {
      if (typeof p === 'string' && /^(worksample[-_]|\.worksample)/.test(p))
        issues.push({
          path: ['tests', 'hidden', i],
          message:
            'names starting with "worksample-", "worksample_" or ".worksample" belong to the grading harness',
        });
    });
  const llm = isRecord(value.llm) ? value.llm : {};
  if (llm.enabled === true && isEmptyList(llm.models)) {
    issues.push({ path: ['llm', 'models'], message: 'expected at least one model when llm.enabled is true' });
  }
  if (llm.assistant === 'chat' && llm.enabled !== true) {
    issues.push({ path: ['llm', 'assistant'], message: 'the assistant needs llm.enabled: true and a model' });
  }
  if (value.terminal === true && typeof kind === 'string' && kind !== 'code')
    issues.push({
      path: ['terminal'],
      message: 'only allowed when kind is code (other kinds have no sandbox)',
    });
  return issues;
}

/**
 * Zod schema for `task.yaml`. Objects are strict so a misspelt key is an error,
 * not a silently ignored setting. Checks that need the file tree (files exist,
 * slug equals folder name, `wrong/` folders) live in the loader.
 */
export const taskManifestSchema = z
  .strictObject({
    slug: z
      .string({ error: typeError('a string') })
      .min(2, { error: 'expected 2 to 64 characters' })
      .max(64, { error: 'expected 2 to 64 characters' })
      .regex(KEBAB, { error: 'expected a lowercase kebab-case slug like "my-task"' }),
    title: text(120),
    summary: text(500),
    kind: z.enum(KINDS, { error: `expected one of ${KINDS.join(', ')}` }),
    timeLimitMinutes: z
      .number({ error: typeError('a whole number of minutes') })
      .int({ error: 'expected a whole number of minutes' })
      .min(5, { error: 'expected at least 5 minutes' })
      .max(480, { error: 'expected at most 480 minutes' }),
    environment: environmentSchema.optional(),
    /**
     * A shell in the attempt's sandbox (the workspace's Terminal panel): same container, user, limits
     * and network as Run, recorded on the timeline. Absent: on for code tasks (what candidates expect
     * from peers' IDEs), never for other kinds. Read it through `terminalEnabled`.
     */
    terminal: z.boolean({ error: typeError('true or false') }).optional(),
    tests: z
      .strictObject({
        visible: uniqueList(relPath, (p) => p, 'path').default([]),
        hidden: uniqueList(relPath, (p) => p, 'path').default([]),
        /**
         * Globs for the candidate's own test files: `Run tests` runs the files that match (after the
         * visible ones) by appending them to `environment.test`. Hidden tests never run there.
         */
        candidate: uniqueList(glob, (g) => g, 'glob')
          .max(20, { error: 'expected at most 20 globs' })
          .default([]),
      })
      .prefault({}),
    llm: z
      .strictObject({
        enabled: flag(false),
        models: uniqueList(
          z.strictObject({
            alias: z
              .string({ error: typeError('a model alias') })
              .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
                error: 'expected a model alias of letters, digits, ".", "_", ":" or "-"',
              }),
            upstream: text(200),
            /**
             * Which upstream serves this alias: `mock` (the scripted model, whatever the deployment),
             * `openai` (any OpenAI-compatible server), `anthropic`. Absent: the deployment's
             * LLM_UPSTREAM. The alias is served on every API the gateway speaks either way.
             */
            provider: z
              .enum(LLM_PROVIDERS, { error: `expected one of ${LLM_PROVIDERS.join(', ')}` })
              .optional(),
          }),
          (m) => m.alias,
          'model alias',
        ).default([]),
        /**
         * The IDE assistant: `chat` gives the candidate a chat panel in the workspace that talks to the
         * first model alias through the gateway on the attempt's budget, every turn recorded as
         * assistant use; `off` (the default) has no assistant.
         */
        assistant: z
          .enum(ASSISTANT_MODES, { error: `expected one of ${ASSISTANT_MODES.join(', ')}` })
          .default('off'),
        budget: z
          .strictObject({
            maxRequests: positiveInt(50),
            maxTotalTokens: positiveInt(100_000),
            maxConcurrent: positiveInt(2),
            requestsPerMinute: positiveInt(20),
            /** Most choices (`n`) one chat request may ask for: each choice is billed in full. */
            maxChoices: positiveInt(1).pipe(z.number().max(16, { error: 'expected at most 16' })),
            /**
             * Most output tokens per choice (`max_tokens` / `max_completion_tokens`); the gateway sends
             * this cap when the candidate sends none, so every call has a known worst case to reserve.
             */
            maxOutputTokens: positiveInt(4096).pipe(
              z.number().max(200_000, { error: 'expected at most 200000' }),
            ),
          })
          .prefault({}),
      })
      .prefault({}),
    rubric: z.strictObject({
      visibleToCandidate: flag(false),
      criteria: uniqueList(criterionSchema, (c) => c.id, 'criterion id')
        .min(1, { error: 'expected at least one criterion' })
        .max(12, { error: 'expected at most 12 criteria' }),
    }),
    review: z
      .strictObject({
        reviewersPerSubmission: z
          .number({ error: typeError('a whole number from 1 to 5') })
          .int({ error: 'expected a whole number from 1 to 5' })
          .min(1, { error: 'expected a whole number from 1 to 5' })
          .max(5, { error: 'expected a whole number from 1 to 5' })
          .default(2),
      })
      .prefault({}),
    integrity: z
      .strictObject({
        /**
         * Only the browser that started an attempt may continue it; another browser opening the
         * link is refused (and recorded). See server/attempts/devices.ts.
         */
        lockToFirstBrowser: flag(false),
      })
      .prefault({}),
    wrong: uniqueList(
      z.strictObject({
        name: kebab('name'),
        /** Names of hidden tests that must fail; omitted means "the grade command must fail". */
        mustFail: z.array(text(200), { error: typeError('a list of test names') }).optional(),
      }),
      (w) => w.name,
      'wrong solution name',
    ).optional(),
    critique: z
      .strictObject({
        outputs: uniqueList(relPath, (p) => p, 'path').min(1, { error: 'expected at least one output file' }),
        categories: uniqueList(kebab('category'), (c) => c, 'category')
          .min(1, { error: 'expected at least one category' })
          .default([...DEFAULT_CRITIQUE_CATEGORIES]),
        questions: questions.default([]),
        /**
         * Reviewer-only answer key (planted flaws with their spans), relative to the task folder,
         * e.g. `key/flaws.yaml`. Its shape is checked by `tasks verify` (server/reviews/answer-key.ts).
         */
        answerKey: relPath.optional(),
        /**
         * Outputs made once by the configured model (`worksample tasks generate-outputs <dir>`)
         * and then stored as files, so every candidate critiques the same text.
         */
        generate: z
          .array(
            z.strictObject({
              output: relPath,
              model: text(200),
              prompt: relPath,
              system: text(8000).optional(),
            }),
            { error: typeError('a list of { output, model, prompt }') },
          )
          .default([]),
      })
      .optional(),
    written: z.strictObject({ questions: questions.default([]) }).optional(),
  })
  .superRefine((m, ctx) => {
    for (const issue of crossFieldIssues(m)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** A validated manifest, with defaults filled in (`environment.grade` defaults to `test`). */
export type TaskManifest = z.output<typeof taskManifestSchema>;

/** Whether the task's workspace has a terminal: `terminal`, defaulting to on for code tasks only. */
export function terminalEnabled(m: Pick<TaskManifest, 'kind' | 'terminal' | 'environment'>): boolean {
  return m.kind === 'code' && m.environment !== undefined && (m.terminal ?? true);
}

/** Validates parsed YAML; on failure returns formatted `file: field: message` lines. */
export function parseTaskManifest(
  file: string,
  data: unknown,
): { ok: true; manifest: TaskManifest } | { ok: false; errors: string[] } {
  const result = taskManifestSchema.safeParse(data, { error: fallbackMessage });
  if (result.success) return { ok: true, manifest: result.data };
  const crossField = crossFieldIssues(data).map(
    ({ path, message }) => `${file}: ${formatIssuePath(path)}: ${message}`,
  );
  return { ok: false, errors: [...new Set([...formatZodIssues(file, result.error), ...crossField])] };
}
