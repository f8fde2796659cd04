import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_TASK, FIXTURES, editManifest, tempTasks } from './fixtures/helpers.ts';
import { loadTaskDir } from './index.ts';

async function errorsOf(dir: string): Promise<string[]> {
  const result = await loadTaskDir(dir);
  if (result.ok) throw new Error(`expected ${dir} to fail to load`);
  return result.errors;
}

describe('loadTaskDir: errors name the file and field', () => {
  let tmp: Awaited<ReturnType<typeof tempTasks>>;
  let dir: string;
  beforeEach(async () => {
    tmp = await tempTasks();
    dir = await tmp.copy(EXAMPLE_TASK);
  });
  afterEach(() => tmp.cleanup());

  it('bad rubric weight', async () => {
    await editManifest(dir, (m) => {
      m.rubric.criteria[2].weight = -1;
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: rubric.criteria[2].weight: expected a positive number`,
    ]);
  });

  it('missing or empty level descriptor', async () => {
    await editManifest(dir, (m) => {
      delete m.rubric.criteria[0].levels[3];
      m.rubric.criteria[1].levels[4] = '  ';
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: rubric.criteria[0].levels.3: required`,
      `${dir}/task.yaml: rubric.criteria[1].levels.4: must not be empty`,
    ]);
  });

  it('unknown keys, at the top level and nested', async () => {
    await editManifest(dir, (m) => {
      m.tittle = 'typo';
      m.rubric.criteria[1].wieght = 3;
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: rubric.criteria[1].wieght: unknown key`,
      `${dir}/task.yaml: tittle: unknown key`,
    ]);
  });

  it('slug that differs from the folder name', async () => {
    const renamed = await tmp.copy(EXAMPLE_TASK, 'other-name');
    expect(await errorsOf(renamed)).toEqual([
      `${renamed}/task.yaml: slug: expected "other-name" (the folder name), got "hello-llm"`,
    ]);
  });

  it('missing statement.md and missing task.yaml', async () => {
    await rm(path.join(dir, 'statement.md'));
    expect(await errorsOf(dir)).toEqual([`${dir}: missing statement.md`]);
    await rm(path.join(dir, 'task.yaml'));
    expect(await errorsOf(dir)).toEqual([`${dir}: missing task.yaml`, `${dir}: missing statement.md`]);
  });

  it('missing hidden and visible test files', async () => {
    await rm(path.join(dir, 'tests/hidden.test.mjs'));
    await editManifest(dir, (m) => {
      m.tests.visible.push('nope.test.mjs');
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: tests.visible[1]: file starter/nope.test.mjs does not exist`,
      `${dir}/task.yaml: tests.hidden[0]: file tests/hidden.test.mjs does not exist`,
    ]);
  });

  it('subject modules must be valid for the image and exist in starter/ or solution/', async () => {
    await editManifest(dir, (m) => {
      m.environment.subject.modules = ['parse-model-json.mjs', 'src/missing.mjs', '../escape.mjs'];
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: environment.subject.modules[2]: expected a relative path inside the workspace like "src/triage.ts"`,
      `${dir}/task.yaml: environment.subject.modules[1]: neither starter/src/missing.mjs nor solution/src/missing.mjs exists`,
    ]);
    await editManifest(dir, (m) => {
      m.environment.image = 'python';
      m.environment.subject.modules = ['rag', 'not-a-module', 'pkg.mod'];
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: environment.subject.modules[1]: expected a Python module name like "rag" or "pkg.module"`,
      `${dir}/task.yaml: environment.subject.modules[0]: neither starter/rag.py nor solution/rag.py exists`,
      `${dir}/task.yaml: environment.subject.modules[2]: neither starter/pkg/mod.py nor solution/pkg/mod.py exists`,
    ]);
  });

  it("hidden tests may not take the harness runtime's names", async () => {
    await editManifest(dir, (m) => {
      m.tests.hidden = ['worksample-harness.mjs'];
    });
    expect(await errorsOf(dir)).toContain(
      `${dir}/task.yaml: tests.hidden[0]: names starting with "worksample-", "worksample_" or ".worksample" belong to the grading harness`,
    );
  });

  it('YAML syntax error reports the line', async () => {
    const file = path.join(dir, 'task.yaml');
    await writeFile(file, 'slug: hello-llm\ntitle: x\nsummary: y\nkind: [code\ntimeLimitMinutes: 15\n');
    const errors = await errorsOf(dir);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${escape(dir)}/task\\.yaml: line 5: \\S`));
  });

  it('duplicate YAML keys are a syntax error, not a silent override', async () => {
    const file = path.join(dir, 'task.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}\ntimeLimitMinutes: 30\n`);
    const errors = await errorsOf(dir);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${escape(dir)}/task\\.yaml: line \\d+: Map keys must be unique`));
  });

  it('wrong/ folder on disk but not listed, and listed but missing', async () => {
    await mkdir(path.join(dir, 'wrong/off-by-one'));
    await writeFile(path.join(dir, 'wrong/off-by-one/parse-model-json.mjs'), 'export {};\n');
    await editManifest(dir, (m) => {
      m.wrong.push({ name: 'ghost' });
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: wrong[1].name: folder wrong/ghost/ does not exist`,
      `${dir}/task.yaml: wrong: folder wrong/off-by-one/ exists but is not listed`,
    ]);
  });

  it('code tasks need starter/, tests/ and solution/', async () => {
    await rm(path.join(dir, 'solution'), { recursive: true });
    await rm(path.join(dir, 'starter'), { recursive: true });
    await editManifest(dir, (m) => {
      m.tests.visible = [];
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}: missing starter/ (required for kind code)`,
      `${dir}: missing solution/ (required for kind code)`,
    ]);
  });

  it('critique outputs must exist', async () => {
    const critique = await tmp.copy(path.join(FIXTURES, 'critique-min'));
    await rm(path.join(critique, 'outputs/answer-1.md'));
    expect(await errorsOf(critique)).toEqual([
      `${critique}/task.yaml: critique.outputs[0]: file outputs/answer-1.md does not exist`,
    ]);
  });

  it('critique answer key must exist and stay reviewer-only', async () => {
    const critique = await tmp.copy(path.join(FIXTURES, 'critique-min'));
    await editManifest(critique, (m) => {
      m.critique.answerKey = 'key/flaws.yaml';
    });
    expect(await errorsOf(critique)).toEqual([
      `${critique}/task.yaml: critique.answerKey: file key/flaws.yaml does not exist`,
    ]);
    await editManifest(critique, (m) => {
      m.critique.answerKey = 'outputs/answer-1.md';
    });
    expect(await errorsOf(critique)).toEqual([
      `${critique}/task.yaml: critique.answerKey: outputs/answer-1.md would be shown to candidates; keep the key in a folder of its own, e.g. key/flaws.yaml`,
    ]);
  });

  it('collects every error instead of stopping at the first', async () => {
    await rm(path.join(dir, 'statement.md'));
    await rm(path.join(dir, 'tests/hidden.test.mjs'));
    await editManifest(dir, (m) => {
      m.slug = 'hello';
      m.timeLimitMinutes = 1000;
      m.rubric.criteria[0].weight = 0;
      delete m.environment;
    });
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: timeLimitMinutes: expected at most 480 minutes`,
      `${dir}/task.yaml: rubric.criteria[0].weight: expected a positive number`,
      `${dir}/task.yaml: environment: required when kind is code`,
      `${dir}/task.yaml: slug: expected "hello-llm" (the folder name), got "hello"`,
      `${dir}/task.yaml: tests.hidden[0]: file tests/hidden.test.mjs does not exist`,
      `${dir}: missing statement.md`,
    ]);
  });

  it('keeps a relative task path relative in messages', async () => {
    await rm(path.join(dir, 'statement.md'));
    const relative = path.relative(process.cwd(), dir);
    expect(await errorsOf(relative)).toEqual([`${relative}: missing statement.md`]);
  });

  it('a folder that does not exist', async () => {
    expect(await errorsOf(path.join(tmp.root, 'nope'))).toEqual([
      `${path.join(tmp.root, 'nope')}: task folder does not exist`,
    ]);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
