/** Upstream error text is replaced by the gateway's own words, and key-shaped text is scrubbed from what is logged. */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { mapUpstreamError, scrubSecrets } from './upstream-errors.ts';

const KEY = 'sk-proj-ABCDEFGHIJKLMNOP1234567890qrstuvWXYZ';
const apiError = (status: number, message: string, extra: Record<string, unknown> = {}, headers = {}) =>
  OpenAI.APIError.generate(status, { error: { message, ...extra } }, undefined, new Headers(headers));

describe('scrubSecrets', () => {
  it.each([
    [`Incorrect API key provided: ${KEY}.`, 'Incorrect API key provided: [redacted].'],
    ['key sk-proj-ABCD********************WXYZ was refused', 'key [redacted] was refused'],
    ['masked sk-...WXYZ here', 'masked [redacted] here'],
    ['Authorization: Bearer abc.def-ghi', 'Authorization: [redacted]'],
    ['our key wsk-Zm9vYmFyYmF6 leaked', 'our key [redacted] leaked'],
    ['organization org-fake123 limit', 'organization [redacted] limit'],
    ['the key ending in 9xYz', 'the [redacted]'],
    ['Rate limit for gpt-4o-mini on tokens per min', 'Rate limit for gpt-4o-mini on tokens per min'],
  ])('%s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('removes an exact secret even when it has no known shape', () => {
    expect(scrubSecrets('token=hunter2hunter2 here', ['hunter2hunter2'])).toBe('token=[redacted] here');
  });
});

describe('mapUpstreamError', () => {
  it('maps by status class and never repeats the upstream message', () => {
    const cases: Array<[InstanceType<typeof OpenAI.APIError>, number, string]> = [
      [
        apiError(400, `bad temperature for ${KEY}`, { param: 'temperature', code: 'invalid_value' }),
        400,
        'upstream_invalid_request',
      ],
      [apiError(401, `Incorrect API key provided: ${KEY}`), 502, 'upstream_auth_failed'],
      [apiError(403, 'region not allowed'), 502, 'upstream_auth_failed'],
      [apiError(404, 'The model gpt-x does not exist'), 502, 'upstream_error'],
      [apiError(429, 'slow down', {}, { 'retry-after': '3' }), 429, 'upstream_rate_limited'],
      [
        apiError(429, 'You exceeded your quota', { code: 'insufficient_quota' }),
        429,
        'upstream_quota_exhausted',
      ],
      [apiError(503, `overloaded ${KEY}`), 502, 'upstream_error'],
    ];
    for (const [err, status, code] of cases) {
      const f = mapUpstreamError(err, [KEY]);
      expect(f, err.message).toMatchObject({ status, code });
      expect(f.message).not.toContain(err.message.replace(/^\d+ /, ''));
      expect(f.detail).not.toContain(KEY);
      expect(JSON.stringify({ ...f, detail: undefined })).not.toMatch(/sk-|ABCDEF|WXYZ/);
    }
    expect(mapUpstreamError(cases[0]![0], [KEY])).toMatchObject({
      param: 'temperature',
      message:
        'The upstream model provider rejected this request as invalid (parameter: temperature, code: invalid_value).',
    });
    expect(mapUpstreamError(cases[4]![0], [KEY]).retryAfter).toBe(3);
    expect(mapUpstreamError(cases[1]![0], [KEY]).retryable).toBe(false);
  });

  it('drops a param or code that is not a plain identifier', () => {
    const f = mapUpstreamError(apiError(400, 'x', { param: `messages ${KEY}`, code: 'sk-proj-ABCD' }), [KEY]);
    expect(f.param).toBeNull();
    expect(f.message).toBe('The upstream model provider rejected this request as invalid.');
  });

  it('maps connection failures and timeouts to 502 without detail for the candidate', () => {
    expect(
      mapUpstreamError(new OpenAI.APIConnectionError({ message: `connect ECONNREFUSED ${KEY}` }), [KEY]),
    ).toMatchObject({
      status: 502,
      code: 'upstream_unreachable',
    });
    expect(mapUpstreamError(new OpenAI.APIConnectionTimeoutError(), [])).toMatchObject({
      code: 'upstream_timeout',
    });
    expect(mapUpstreamError(new TypeError(`fetch failed for ${KEY}`), [KEY])).toMatchObject({
      status: 502,
      code: 'upstream_unreachable',
      detail: 'TypeError: fetch failed for [redacted]',
    });
  });
});
