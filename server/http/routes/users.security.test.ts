import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { listUsers } from '../../users/index.ts';

const body = { email: 'intruder@example.com', role: 'admin', password: 'long enough pw' };

describe('staff users (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it.each(['author', 'reviewer'] as const)('refuses a %s with 403 and creates nothing', async (role) => {
    const b = await t.staff(role);
    const before = await listUsers(t.ctx);
    const create = await t.req(b, 'POST', '/api/users', body);
    expectError(create, 403, 'forbidden');
    expect(create.json.error.message).toMatch(new RegExp(`admin.*you are ${role}`));
    expectError(await t.req(b, 'GET', '/api/users'), 403, 'forbidden');
    expect(await listUsers(t.ctx)).toEqual(before);
  });

  it('refuses an anonymous caller and a candidate with 401 and creates nothing', async () => {
    const before = await listUsers(t.ctx);
    expectError(await t.req({ cookies: new Map() }, 'POST', '/api/users', body), 401, 'unauthenticated');
    expectError(await t.req(undefined, 'GET', '/api/users'), 401, 'unauthenticated');
    const { browser } = await t.startedCandidate();
    expectError(await t.req(browser, 'POST', '/api/users', body), 401, 'unauthenticated');
    expectError(await t.req(browser, 'GET', '/api/users'), 401, 'unauthenticated');
    expect(await listUsers(t.ctx)).toEqual(before);
  });
});
