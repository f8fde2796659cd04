import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  formatIssuePath,
  formatZodIssues,
  isSafeRelativePath,
  parseTaskManifest,
  terminalEnabled,
} from './index.ts';

const levels = { 1: 'poor', 2: 'fair', 3: 'good', 4: 'great' };

/** Smallest valid code-task manifest; tests override one field at a time. */
function codeTask(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    slug: 'demo',
    title: 'Demo',
    summary: 'A demo task.',
    kind: 'code',
    timeLimitMinutes: 15,
    environment: { image: 'node', run: ['node', 'main.mjs'], test: ['node', '--test'] },
    tests: { hidden: ['hidden.test.mjs'] },
    rubric: { criteria: [{ id: 'works', title: 'Works', levels }] },
    ...overrides,
  };
}

function errorsOf(data: unknown): string[] {
  const result = parseTaskManifest('task.yaml', data);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.errors;
}

describe('taskManifestSchema', () => {
  it('fills in defaults', () => {
    const result = parseTaskManifest('task.yaml', codeTask());
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const m = result.manifest;
    expect(m.environment?.grade).toEqual(['node', '--test']);
    expect(m.tests.visible).toEqual([]);
    expect(m.llm).toEqual({
      enabled: false,
      models: [],
      assistant: 'off',
      budget: {
        maxRequests: 50,
        maxTotalTokens: 100_000,
        maxConcurrent: 2,
        requestsPerMinute: 20,
        maxChoices: 1,
        maxOutputTokens: 4096,
      },
    });
    expect(m.rubric.visibleToCandidate).toBe(false);
    expect(m.rubric.criteria[0]?.weight).toBe(1);
    expect(m.review.reviewersPerSubmission).toBe(2);
    expect(m.wrong).toBeUndefined();
  });

  it('says "required" for missing fields and names the expected type otherwise', () => {
    const { title: _title, ...noTitle } = codeTask();
    expect(errorsOf({ ...noTitle, timeLimitMinutes: 'soon' })).toEqual([
      'task.yaml: title: required',
      'task.yaml: timeLimitMinutes: expected a whole number of minutes',
    ]);
    expect(errorsOf(null)).toEqual(['task.yaml: expected a mapping of keys to values']);
  });

  it('checks slug format, kind, time limit and environment', () => {
    expect(
      errorsOf(
        codeTask({
          slug: 'Bad_Slug',
          kind: 'essay',
          timeLimitMinutes: 4.5,
          environment: { image: 'Node', run: [], test: [''] },
        }),
      ),
    ).toEqual([
      'task.yaml: slug: expected a lowercase kebab-case slug like "my-task"',
      'task.yaml: kind: expected one of code, critique, written',
      'task.yaml: timeLimitMinutes: expected a whole number of minutes',
      'task.yaml: environment.image: expected a sandbox environment name like "node" or "python"',
      'task.yaml: environment.run: expected at least one element (the program to run)',
      'task.yaml: environment.test[0]: must not be empty',
    ]);
  });

  it('enforces kind-specific sections, even alongside other errors', () => {
    expect(errorsOf(codeTask({ environment: undefined, title: '' }))).toEqual([
      'task.yaml: title: must not be empty',
      'task.yaml: environment: required when kind is code',
    ]);
    expect(errorsOf(codeTask({ kind: 'critique', environment: undefined, tests: undefined }))).toEqual([
      'task.yaml: critique: required when kind is critique',
    ]);
    expect(errorsOf(codeTask({ written: { questions: [] } }))).toEqual([
      'task.yaml: written: only allowed when kind is written',
    ]);
    expect(errorsOf(codeTask({ tests: { hidden: [] } }))).toEqual([
      'task.yaml: tests.hidden: a code task needs at least one hidden test',
    ]);
  });

  it('rejects duplicate ids and aliases, naming the duplicate', () => {
    const criterion = { id: 'works', title: 'Works', levels };
    expect(
      errorsOf(
        codeTask({
          rubric: { criteria: [criterion, { ...criterion, title: 'Again' }] },
          llm: {
            enabled: true,
            models: [
              { alias: 'm', upstream: 'a' },
              { alias: 'm', upstream: 'b' },
            ],
          },
        }),
      ),
    ).toEqual([
      'task.yaml: llm.models[1]: duplicate model alias "m"',
      'task.yaml: rubric.criteria[1]: duplicate criterion id "works"',
    ]);
  });

  it('requires a model when the LLM is enabled, and positive whole budgets', () => {
    expect(
      errorsOf(codeTask({ llm: { enabled: true, budget: { maxRequests: 0, maxConcurrent: 1.5 } } })),
    ).toEqual([
      'task.yaml: llm.budget.maxRequests: expected a positive whole number',
      'task.yaml: llm.budget.maxConcurrent: expected a positive whole number',
      'task.yaml: llm.models: expected at least one model when llm.enabled is true',
    ]);
  });

  it('bounds the choices and output tokens a gateway call may ask for', () => {
    expect(
      errorsOf(
        codeTask({
          llm: {
            enabled: true,
            models: [{ alias: 'm', upstream: 'm' }],
            budget: { maxChoices: 0, maxOutputTokens: 300_000 },
          },
        }),
      ),
    ).toEqual([
      'task.yaml: llm.budget.maxChoices: expected a positive whole number',
      'task.yaml: llm.budget.maxOutputTokens: expected at most 200000',
    ]);
    expect(errorsOf(codeTask({ llm: { budget: { maxChoices: 17 } } }))).toEqual([
      'task.yaml: llm.budget.maxChoices: expected at most 16',
    ]);
  });

  it('names the upstream of each model alias, or leaves it to the deployment', () => {
    const models = [
      { alias: 'scripted', upstream: 'mock-small', provider: 'mock' },
      { alias: 'claude', upstream: 'claude-sonnet-4-5', provider: 'anthropic' },
      { alias: 'default', upstream: 'gpt-4o-mini' },
    ];
    const parsed = parseTaskManifest('task.yaml', codeTask({ llm: { enabled: true, models } }));
    expect(parsed.ok && parsed.manifest.llm.models).toEqual(models);
    expect(
      errorsOf(
        codeTask({ llm: { enabled: true, models: [{ alias: 'x', upstream: 'y', provider: 'gemini' }] } }),
      ),
    ).toEqual(['task.yaml: llm.models[0].provider: expected one of mock, openai, anthropic']);
  });

  it('offers the IDE assistant only when asked, and only with the LLM enabled', () => {
    const models = [{ alias: 'm', upstream: 'm' }];
    const parsed = parseTaskManifest(
      'task.yaml',
      codeTask({ llm: { enabled: true, models, assistant: 'chat' } }),
    );
    expect(parsed.ok && parsed.manifest.llm.assistant).toBe('chat');
    expect(errorsOf(codeTask({ llm: { enabled: true, models, assistant: 'agent' } }))).toEqual([
      'task.yaml: llm.assistant: expected one of off, chat',
    ]);
    expect(errorsOf(codeTask({ llm: { assistant: 'chat' } }))).toEqual([
      'task.yaml: llm.assistant: the assistant needs llm.enabled: true and a model',
    ]);
  });

  it('has a terminal on code tasks unless the author turns it off, and never on other kinds', () => {
    const on = parseTaskManifest('task.yaml', codeTask());
    expect(on.ok && terminalEnabled(on.manifest)).toBe(true);
    const off = parseTaskManifest('task.yaml', codeTask({ terminal: false }));
    expect(off.ok && terminalEnabled(off.manifest)).toBe(false);
    expect(errorsOf(codeTask({ terminal: 'yes' }))).toEqual(['task.yaml: terminal: expected true or false']);
    const written = {
      ...codeTask({ kind: 'written', written: { questions: [] }, tests: {} }),
      environment: undefined,
    };
    const w = parseTaskManifest('task.yaml', written);
    expect(w.ok && terminalEnabled(w.manifest)).toBe(false);
    expect(errorsOf({ ...written, terminal: true })).toEqual([
      'task.yaml: terminal: only allowed when kind is code (other kinds have no sandbox)',
    ]);
  });

  it('bounds rubric size and reviewer count', () => {
    const criteria = Array.from({ length: 13 }, (_, i) => ({ id: `c${i}`, title: `C${i}`, levels }));
    expect(errorsOf(codeTask({ rubric: { criteria }, review: { reviewersPerSubmission: 6 } }))).toEqual([
      'task.yaml: rubric.criteria: expected at most 12 criteria',
      'task.yaml: review.reviewersPerSubmission: expected a whole number from 1 to 5',
    ]);
    expect(errorsOf(codeTask({ rubric: { criteria: [] } }))).toEqual([
      'task.yaml: rubric.criteria: expected at least one criterion',
    ]);
  });

  it('defaults critique categories', () => {
    const result = parseTaskManifest(
      'task.yaml',
      codeTask({
        kind: 'critique',
        environment: undefined,
        tests: undefined,
        critique: { outputs: ['a.md'] },
      }),
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.manifest.critique?.categories).toEqual([
      'factual-error',
      'hallucinated-api',
      'unsafe',
      'ignores-instruction',
      'formatting',
      'other',
    ]);
  });
});

describe('isSafeRelativePath', () => {
  it.each(['a.txt', 'dir/b.test.ts', 'x/y/z'])('accepts %s', (p) => expect(isSafeRelativePath(p)).toBe(true));
  it.each(['', '/abs', '../up', 'a/../b', './a', 'a//b', 'a\\b', 'a/', 'a\nb'])('rejects %j', (p) =>
    expect(isSafeRelativePath(p)).toBe(false),
  );
});

describe('formatZodIssues', () => {
  it('formats paths and splits unknown keys into one line each', () => {
    const schema = z.strictObject({ a: z.array(z.strictObject({ b: z.number() })) });
    const result = schema.safeParse({ a: [{ b: 1 }, { b: 2, c: 3, d: 4 }] });
    if (result.success) throw new Error('expected failure');
    expect(formatZodIssues('f.yaml', result.error)).toEqual([
      'f.yaml: a[1].c: unknown key',
      'f.yaml: a[1].d: unknown key',
    ]);
    expect(formatIssuePath(['rubric', 'criteria', 2, 'weight'])).toBe('rubric.criteria[2].weight');
  });
});

describe('tests.candidate', () => {
  it('takes globs for the candidate’s own test files (none by default)', () => {
    const ok = parseTaskManifest(
      'task.yaml',
      codeTask({ tests: { hidden: ['h.test.mjs'], candidate: ['**/*.test.ts', 'test_*.py'] } }),
    );
    if (!ok.ok) throw new Error(ok.errors.join('\n'));
    expect(ok.manifest.tests.candidate).toEqual(['**/*.test.ts', 'test_*.py']);
    const plain = parseTaskManifest('task.yaml', codeTask());
    expect(plain.ok && plain.manifest.tests.candidate).toEqual([]);
  });

  it('names the field of a glob that leaves the workspace or uses syntax it does not support', () => {
    const errors = errorsOf(
      codeTask({
        tests: {
          hidden: ['h.test.mjs'],
          candidate: ['../tests/*.ts', '/abs/*.ts', '{a,b}.ts', '*.ts', '*.ts'],
        },
      }),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^task\.yaml: tests\.candidate\[0\]: expected a relative path/),
        expect.stringMatching(/^task\.yaml: tests\.candidate\[1\]: expected a relative path/),
        expect.stringMatching(/^task\.yaml: tests\.candidate\[2\]: expected a glob of letters/),
        'task.yaml: tests.candidate[4]: duplicate glob "*.ts"',
      ]),
    );
  });
});

describe('environment.compile', () => {
  const tsEnv = {
    image: 'node',
    run: ['node', '--import', 'tsx', 'main.ts'],
    test: ['node', '--import=tsx', '--test', 'visible.test.ts'],
    compile: 'esbuild',
  };

  it('accepts esbuild with node --import tsx commands, and is absent by default', () => {
    const on = parseTaskManifest('task.yaml', codeTask({ environment: tsEnv }));
    expect(on.ok && on.manifest.environment?.compile).toBe('esbuild');
    const off = parseTaskManifest('task.yaml', codeTask());
    expect(off.ok && off.manifest.environment?.compile).toBeUndefined();
  });

  it('names the field when the value or a command does not fit', () => {
    expect(errorsOf(codeTask({ environment: { ...tsEnv, compile: 'tsc' } }))).toEqual([
      'task.yaml: environment.compile: expected esbuild (or leave compile out)',
    ]);
    expect(
      errorsOf(codeTask({ environment: { ...tsEnv, run: ['node', 'main.mjs'], test: ['tsx', 't.ts'] } })),
    ).toEqual([
      "task.yaml: environment.run: compile: esbuild needs a command of the form ['node', '--import', 'tsx', <file.ts>, …]",
      "task.yaml: environment.test: compile: esbuild needs a command of the form ['node', '--import', 'tsx', <file.ts>, …]",
    ]);
  });
});
