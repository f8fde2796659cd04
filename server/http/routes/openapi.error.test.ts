import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';

/** The standard error shape, with the request id echoed in the X-Request-Id header. */
async function expectStandardError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({
    code,
    message: expect.stringMatching(/\S/),
    requestId: expect.stringMatching(/\S/),
  });
  expect(res.headers.get('x-request-id')).toBe(body.error.requestId);
  return body.error as { code: string; message: string; requestId: string };
}

describe('API edge (errors)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it.each([
    ['GET', '/api/nope'],
    ['POST', '/api/nope'],
    ['DELETE', '/api/users/123'],
    ['GET', '/api/attempts/x/unknown'],
  ])('answers %s %s with a JSON 404 in the standard shape', async (method, url) => {
    const e = await expectStandardError(await t.app.request(url, { method }), 404, 'not_found');
    expect(e.message).toContain(`${method} ${url}`);
  });

  it('answers a malformed JSON body with 400 in the standard shape', async () => {
    const res = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@b.c", ',
    });
    await expectStandardError(res, 400, 'bad_request');
  });

  it('answers a body of the wrong type with 400 validation_failed naming the field', async () => {
    const res = await t.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 42, password: 'x' }),
    });
    const e = await expectStandardError(res, 400, 'validation_failed');
    expect(e.message).toMatch(/^email: /);
  });

  it('gives every error its own request id', async () => {
    const a = await expectStandardError(await t.app.request('/api/auth/me'), 401, 'unauthenticated');
    const b = await expectStandardError(await t.app.request('/api/auth/me'), 401, 'unauthenticated');
    expect(a.requestId).not.toBe(b.requestId);
  });
});
