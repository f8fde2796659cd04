import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';

describe('OpenAPI document (happy path)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it('lists every registered /api route with its method', async () => {
    const r = await t.req(undefined, 'GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(r.json.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      ),
    );
    const registered = t.app.routes
      .filter(
        (route) =>
          route.path.startsWith('/api/') &&
          !route.path.includes('*') &&
          route.method !== 'ALL' &&
          route.path !== '/api/openapi.json',
      )
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(registered.length).toBeGreaterThan(15);
    for (const route of registered) expect(documented, route).toContain(route);
    for (const route of [
      'POST /api/auth/login',
      'POST /api/auth/logout',
      'GET /api/auth/me',
      'GET /api/users',
      'POST /api/users',
      'GET /api/invitations',
      'POST /api/invitations',
      'POST /api/invitations/{id}/revoke',
      'POST /api/invitations/open',
      'GET /api/candidate',
      'POST /api/candidate/start',
      'GET /api/attempts/{id}',
      'POST /api/attempts/{id}/submit',
      'GET /api/attempts/{id}/events',
      'GET /api/attempts/{id}/files',
      'GET /api/attempts/{id}/file',
      'PUT /api/attempts/{id}/file',
      'DELETE /api/attempts/{id}/file',
      'POST /api/attempts/{id}/file/rename',
      'GET /api/tasks',
      'GET /api/health',
    ]) {
      expect(documented, route).toContain(route);
    }
  });

  it('describes the standard error shape and uses it for error responses', async () => {
    const doc = (await t.req(undefined, 'GET', '/api/openapi.json')).json;
    const error = doc.components.schemas.Error;
    expect(error.required).toContain('error');
    expect(error.properties.error.required).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
    const put = doc.paths['/api/attempts/{id}/file'].put;
    for (const status of ['400', '401', '403', '404', '409', '413']) {
      expect(put.responses[status].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/Error',
      });
    }
    expect(doc.paths['/api/auth/login'].post.responses['429']).toBeDefined();
    expect(doc.components.securitySchemes.staffCookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'ws_staff',
    });
  });

  it('answers the liveness probe', async () => {
    const r = await t.req(undefined, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
  });
});
