/**
 * Regexes in `llm/mock.yaml` are written the way task authors know them from
 * Python/PCRE: a leading inline-flag group such as `(?i)` or `(?is)`. JavaScript
 * (Node 20) has no inline flags, so we move them into RegExp flags.
 *
 * Patterns are author-written and run against candidate-written prompts; a
 * pathological pattern can backtrack badly, which is why the texts they see are
 * capped (see MAX_MATCH_TEXT in match.ts).
 */

const INLINE_FLAGS = /^\(\?([ims]+)\)/;

/** Compiles `(?i)pattern` into `/pattern/i`; throws the engine's message on a bad pattern. */
export function compilePattern(source: string): RegExp {
  const m = INLINE_FLAGS.exec(source);
  const flags = m ? [...new Set(m[1])].join('') : '';
  const body = m ? source.slice(m[0].length) : source;
  try {
    return new RegExp(body, flags);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8 says "Invalid regular expression: /(/: Unterminated group"; keep the reason only.
    throw new Error(message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
  }
}

const SLASHED = /^\/(.*)\/([ims]*)$/s;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A `model:` condition: `/regex/flags` is a regex, anything else an exact alias. */
export function compileModelPattern(source: string): RegExp {
  const m = SLASHED.exec(source);
  if (!m) return new RegExp(`^${escape(source)}$`);
  const inner = compilePattern(m[1]!);
  return new RegExp(inner.source, [...new Set(inner.flags + m[2])].join(''));
}
