/**
 * `worksample tasks generate-outputs <dir>`: writes a critique task's model outputs once, through the
 * configured upstream, into the task folder (outputs/…). Importing then stores them in the task
 * version, so every candidate critiques exactly the same text. Existing outputs are kept unless forced.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { LlmUpstream } from '../llm/index.ts';
import { parseTaskManifest } from './manifest.ts';

export interface GeneratedOutput {
  output: string;
  status: 'generated' | 'kept';
  characters: number;
}

export class GenerateError extends Error {}

export async function generateOutputs(
  dir: string,
  upstream: LlmUpstream,
  opts: { force?: boolean } = {},
): Promise<GeneratedOutput[]> {
  const label = dir.replace(/\/+$/, '');
  const yamlText = await readFile(path.join(dir, 'task.yaml'), 'utf8').catch(() => {
    throw new GenerateError(`${label}: no task.yaml here`);
  });
  const parsed = parseTaskManifest(`${label}/task.yaml`, parse(yamlText));
  if (!parsed.ok) throw new GenerateError(parsed.errors.join('\n'));
  const specs = parsed.manifest.critique?.generate ?? [];
  if (!specs.length)
    throw new GenerateError(
      `${label}/task.yaml: critique.generate: nothing to generate (list { output, model, prompt } entries)`,
    );
  const listed = new Set(parsed.manifest.critique?.outputs ?? []);
  const results: GeneratedOutput[] = [];
  for (const [i, spec] of specs.entries()) {
    if (!listed.has(spec.output))
      throw new GenerateError(
        `${label}/task.yaml: critique.generate[${i}].output: ${spec.output} is not listed in critique.outputs`,
      );
    const target = path.join(dir, 'outputs', spec.output);
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists && !opts.force) {
      results.push({
        output: spec.output,
        status: 'kept',
        characters: (await readFile(target, 'utf8')).length,
      });
      continue;
    }
    const prompt = await readFile(path.join(dir, spec.prompt), 'utf8').catch(() => {
      throw new GenerateError(
        `${label}/task.yaml: critique.generate[${i}].prompt: file ${spec.prompt} does not exist`,
      );
    });
    const messages = [
      ...(spec.system ? [{ role: 'system', content: spec.system }] : []),
      { role: 'user', content: prompt },
    ];
    const outcome = await upstream.chat({
      attemptId: 'authoring',
      callId: `generate-${i}`,
      alias: spec.model,
      model: spec.model,
      body: { model: spec.model, messages },
      stream: false,
      ruleCounts: {},
      signal: AbortSignal.timeout(300_000),
    });
    if (outcome.kind === 'error')
      throw new GenerateError(`${spec.output}: the model answered ${outcome.status}: ${outcome.message}`);
    if (outcome.kind !== 'completion') throw new GenerateError(`${spec.output}: unexpected streamed answer`);
    const content = outcome.completion.choices[0]?.message.content ?? '';
    if (!content.trim()) throw new GenerateError(`${spec.output}: the model returned no text`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content.endsWith('\n') ? content : `${content}\n`);
    results.push({ output: spec.output, status: 'generated', characters: content.length });
  }
  return results;
}
