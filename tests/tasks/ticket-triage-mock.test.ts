/**
 * The shipped ticket-triage script answers the starter's demo tickets by what the ticket says, not by
 * the words of the starter's own system prompt (which names every category: matching it labelled every
 * demo ticket "billing").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mockRespond, parseMockScript } from '../../server/llm/mock/index.ts';
import { repoRoot } from '../../server/testing/index.ts';

const task = path.join(repoRoot, 'tasks/ticket-triage');

describe('ticket-triage mock script', () => {
  it('labels the demo tickets billing, bug and feature with the starter system prompt in JSON mode', async () => {
    const parsed = parseMockScript('llm/mock.yaml', await readFile(path.join(task, 'llm/mock.yaml'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const starter = await readFile(path.join(task, 'starter/src/triage.ts'), 'utf8');
    const system = /SYSTEM_PROMPT = `([\s\S]*?)`/.exec(starter)![1]!;
    expect(system).toMatch(/billing/);
    const label = (subject: string, body: string) => {
      const o = mockRespond(
        parsed.script,
        {
          model: 'mock-small',
          response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: `Subject: ${subject}\n\n${body}` },
          ],
        },
        { attemptId: 'att-demo', ruleCounts: {} },
      );
      return o.kind === 'message' ? JSON.parse(o.content!).category : o.kind;
    };
    // The demo tickets of starter/main.ts.
    expect(label('Charged twice this month', 'My card was charged twice for the March invoice.')).toBe(
      'billing',
    );
    expect(label('Dashboard crashes', 'The usage dashboard shows an error 500 since this morning.')).toBe(
      'bug',
    );
    expect(label('Dark mode?', 'It would be great to have a dark mode in the console.')).toBe('feature');
    expect(label('Question', 'How do I invite a colleague?')).toBe('other');
  });
});
