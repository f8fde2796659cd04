import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger/index.ts';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { redactPath } from './request-log.ts';

/** A pino logger writing JSON lines into memory. */
function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), text: () => lines.join('\n'), lines };
}

describe('request log (security)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('never writes an invitation token, however the link path is spelt', async () => {
    const log = captured();
    t = await makeTestApp({ logger: log.logger });
    await t.importExample();
    const { token } = await t.invite();
    const enc = (s: string) => [...s].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('');
    const spellings = [
      `/i/${token}`,
      `//i/${token}`,
      `/i//${token}`,
      `///i///${token}/`,
      `/I/${token}`,
      `/%69/${token}`,
      `/%49/${token}`,
      `/i/${enc(token)}`,
      `/i%2F${token}`,
      `/i%252F${token}`,
      `/i/x/${token}`,
      `/api/invitations/${token}`,
      `/anything/${token}/more`,
      `/i/${token}?next=/attempt`,
    ];
    for (const p of spellings) await t.app.request(p);
    const requests = log.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(spellings.length);
    expect(log.text()).not.toContain(token);
    expect(log.text()).not.toContain(token.slice(0, 20));
    expect(log.text()).not.toContain(encodeURIComponent(token).slice(0, 20));
    // Still useful: the shape of the request is kept.
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/i/[token]' });
    expect(requests[4]).toMatchObject({ path: '/I/[token]' });
    expect(requests[11]).toMatchObject({ path: '/api/invitations/[token]' });
  });

  it('keeps ordinary paths and row ids readable', () => {
    expect(redactPath('/api/attempts/att_0123456789abcdef0123/files')).toBe(
      '/api/attempts/att_0123456789abcdef0123/files',
    );
    expect(redactPath('/review/att_000001')).toBe('/review/att_000001');
    expect(redactPath('/assets/index-C3c1HRrM.js')).toBe('/assets/index-C3c1HRrM.js');
    expect(redactPath('/')).toBe('/');
    expect(redactPath('/i/%E0%A4%A')).toBe('/i/[token]'); // undecodable: still cut after /i/
  });
});
