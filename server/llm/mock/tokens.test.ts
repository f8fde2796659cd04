import { describe, expect, it } from 'vitest';
import { completionTokens, countTokens, promptTokens } from './index.ts';

describe('the mock tokenizer', () => {
  it('counts ceil(characters / 4), by code point', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abc')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('😀😀😀😀😀')).toBe(2);
  });

  it('adds 4 per message and counts text parts and tool calls', () => {
    expect(
      promptTokens([
        { role: 'system', content: 'Be brief.' }, // 9 chars → 3
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abcd' },
            { type: 'text', text: 'efgh' },
          ],
        }, // "abcd\nefgh" → 3
        { role: 'assistant', content: null, tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }, // "f {}" → 1
        { role: 'tool', tool_call_id: 'c', content: '' },
      ]),
    ).toBe(4 * 4 + 3 + 3 + 1 + 0);
  });

  it('adds 2 per reply', () => {
    expect(completionTokens('hello world')).toBe(2 + 3);
    expect(completionTokens(null, [{ function: { name: 'lookup', arguments: '{"id":3}' } }])).toBe(2 + 4);
  });
});
