/**
 * Extracts a JSON object or array from a chat model's reply.
 *
 * @param {unknown} text the model's reply
 * @returns {{ ok: true, value: unknown } | { ok: false, error: string }}
 */
export function parseModelJson(text) {
  if (typeof text !== 'string') return { ok: false, error: 'expected the reply as a string' };
  const candidate = fencedBlock(text) ?? bracketed(text);
  if (candidate === undefined) return { ok: false, error: 'no JSON object or array found in the reply' };
  let value;
  try {
    value = JSON.parse(candidate);
  } catch (error) {
    return { ok: false, error: `malformed JSON: ${error.message}` };
  }
  if (typeof value !== 'object' || value === null) {
    return { ok: false, error: 'expected a JSON object or array' };
  }
  return { ok: true, value };
}

/** Content of the first ``` fenced block (any language label), if there is one. */
function fencedBlock(text) {
  const match = /```[^\n`]*\n([\s\S]*?)```/.exec(text);
  return match ? match[1] : undefined;
}

/** Text from the first `{`/`[` to the last `}`/`]`, if both exist in that order. */
function bracketed(text) {
  const start = text.search(/[[{]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  return start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
}
