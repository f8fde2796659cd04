/**
 * Extracts a JSON object or array from a chat model's reply.
 *
 * @param {unknown} text the model's reply
 * @returns {{ ok: true, value: unknown } | { ok: false, error: string }}
 */
export function parseModelJson(text) {
  // TODO: implement (see statement).
  return { ok: false, error: 'not implemented' };
}
