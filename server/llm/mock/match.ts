/** Rule conditions: which rules a request reaches, and which one wins. */
import { uniform } from './hash.ts';
import type { MockRule, MockScript } from './schema.ts';
import { contentText, isInput, isSystem, lastUserText } from './text.ts';
import type { MockRequest, MockState } from './types.ts';

/**
 * Patterns see at most this many characters of each text. Patterns are author-written
 * but the text is candidate-written; the cap bounds the cost of a pattern that backtracks
 * polynomially on a huge prompt (it cannot help against exponential ones — see README).
 */
export const MAX_MATCH_TEXT = 32_768;

const test = (re: RegExp, text: string) => re.test(text.slice(0, MAX_MATCH_TEXT));

export function responseFormatOf(req: MockRequest): 'text' | 'json_object' | 'json_schema' {
  const t = req.response_format?.type;
  return t === 'json_object' || t === 'json_schema' ? t : 'text';
}

/** True when every request condition of the rule holds (everything but `call` and `rate`). */
export function requestConditionsHold(rule: MockRule, req: MockRequest): boolean {
  const m = rule.match;
  if (m.model && !test(m.model, req.model)) return false;
  if (m.content) {
    const last = lastUserText(req.messages);
    if (last === undefined || !test(m.content, last)) return false;
  }
  // The conversation's inputs only: a word in the caller's own system prompt (or an earlier answer)
  // must not decide which scripted case this is.
  if (
    m.anyContent &&
    !req.messages.some((msg) => isInput(msg) && test(m.anyContent!, contentText(msg.content)))
  )
    return false;
  if (m.system && !req.messages.some((msg) => isSystem(msg) && test(m.system!, contentText(msg.content)))) {
    return false;
  }
  if (m.tools !== undefined && m.tools !== (Array.isArray(req.tools) && req.tools.length > 0)) return false;
  if (m.toolResult !== undefined && m.toolResult !== req.messages.some((msg) => msg.role === 'tool')) {
    return false;
  }
  if (m.responseFormat && m.responseFormat !== responseFormatOf(req)) return false;
  return true;
}

/**
 * `call` and `rate` for a rule that has been reached `count` times before (this is call
 * `count + 1`). The rate draw is seeded by (seed, attempt id, rule name, count), so a
 * replayed attempt gets the same faults and the next call gets a fresh draw.
 */
export function callAndRateHold(rule: MockRule, count: number, attemptId: string): boolean {
  const m = rule.match;
  if (m.call && !m.call.includes(count + 1)) return false;
  if (m.rate !== undefined && uniform(m.seed ?? 0, attemptId, rule.name, count) >= m.rate) return false;
  return true;
}

/** Tries the rules in order; the first whose conditions all hold wins. */
export function selectRule(
  script: MockScript | undefined,
  req: MockRequest,
  state: MockState,
): { rule: MockRule | null; count: number; counted: string[] } {
  const counted: string[] = [];
  for (const rule of script?.rules ?? []) {
    if (!requestConditionsHold(rule, req)) continue;
    counted.push(rule.name);
    const count = state.ruleCounts[rule.name] ?? 0;
    if (callAndRateHold(rule, count, state.attemptId)) return { rule, count, counted };
  }
  return { rule: null, count: 0, counted };
}
