import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockUpstream } from '../llm/index.ts';
import { generateOutputs } from './generate.ts';
import { loadTaskDir } from './load.ts';

const fixture = path.join(import.meta.dirname, 'fixtures/critique-min');

describe('generateOutputs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'ws-gen-')), 'critique-min');
    await cp(fixture, dir, { recursive: true });
    const yaml = await readFile(path.join(dir, 'task.yaml'), 'utf8');
    await writeFile(
      path.join(dir, 'task.yaml'),
      yaml.replace(
        'critique:\n  outputs: [answer-1.md]',
        'critique:\n  outputs: [answer-1.md, answer-2.md]\n  generate:\n    - { output: answer-2.md, model: mock-small, prompt: prompts/ask.md }',
      ),
    );
    await mkdir(path.join(dir, 'prompts'));
    await writeFile(path.join(dir, 'prompts/ask.md'), 'Explain backpressure in Node.js streams.\n');
  });
  afterEach(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('tells the author to generate a missing output, writes it once, and keeps it on the next run', async () => {
    const before = await loadTaskDir(dir);
    expect(before.ok).toBe(false);
    expect(!before.ok && before.errors.join('\n')).toContain(
      'outputs/answer-2.md does not exist (make it with: worksample tasks generate-outputs',
    );

    const first = await generateOutputs(dir, mockUpstream());
    expect(first).toEqual([{ output: 'answer-2.md', status: 'generated', characters: expect.any(Number) }]);
    const text = await readFile(path.join(dir, 'outputs/answer-2.md'), 'utf8');
    expect(text).toContain('Mock reply to:');

    const second = await generateOutputs(dir, mockUpstream());
    expect(second[0]!.status).toBe('kept');
    expect(await readFile(path.join(dir, 'outputs/answer-2.md'), 'utf8')).toBe(text);
    expect((await loadTaskDir(dir)).ok).toBe(true);
  });

  it('refuses an output that critique.outputs does not list', async () => {
    const yaml = await readFile(path.join(dir, 'task.yaml'), 'utf8');
    await writeFile(path.join(dir, 'task.yaml'), yaml.replace('output: answer-2.md', 'output: other.md'));
    await expect(generateOutputs(dir, mockUpstream())).rejects.toThrow(
      /critique\.generate\[0\]\.output: other\.md is not listed in critique\.outputs/,
    );
  });
});
