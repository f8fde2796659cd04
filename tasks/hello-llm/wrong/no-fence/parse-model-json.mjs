// Wrong on purpose: parses the whole reply, so code fences and prose make it fail.
export function parseModelJson(text) {
  if (typeof text !== 'string') return { ok: false, error: 'expected the reply as a string' };
  try {
    const value = JSON.parse(text.trim());
    return typeof value === 'object' && value !== null
      ? { ok: true, value }
      : { ok: false, error: 'expected a JSON object or array' };
  } catch (error) {
    return { ok: false, error: `malformed JSON: ${error.message}` };
  }
}
