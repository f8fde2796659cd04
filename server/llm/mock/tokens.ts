/**
 * The documented mock tokenizer, so candidates can predict usage and budgets:
 * ceil(characters / 4) per text (characters = Unicode code points), + 4 per message,
 * + 2 per reply.
 */
import { contentText, toolCallTexts } from './text.ts';
import type { MockMessage } from './types.ts';

export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 2;

/** ceil(code points / 4); 0 for the empty string. */
export function countTokens(text: string): number {
  return Math.ceil(Array.from(text).length / 4);
}

/** Each message: its content text plus any tool calls (`name arguments`), + 4. */
export function promptTokens(messages: readonly MockMessage[]): number {
  let total = 0;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(contentText(m.content));
    for (const call of toolCallTexts(m)) total += countTokens(call);
  }
  return total;
}

/** A reply: its content, or each tool call's `name arguments`, + 2. */
export function completionTokens(
  content: string | null,
  toolCalls: ReadonlyArray<{ function: { name: string; arguments: string } }> = [],
): number {
  let total = TOKENS_PER_REPLY + countTokens(content ?? '');
  for (const c of toolCalls) total += countTokens(`${c.function.name} ${c.function.arguments}`);
  return total;
}
