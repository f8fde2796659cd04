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

  it('gives every JSON success response a schema that names its fields (the web types come from them)', async () => {
    const doc = (await t.req(undefined, 'GET', '/api/openapi.json')).json;
    // A named schema is a $ref; an extended one is allOf [base, extra]: merge their fields.
    const resolve = (s: Record<string, any>): Record<string, any> => {
      if (typeof s.$ref === 'string') return resolve(doc.components.schemas[s.$ref.split('/').pop()!]);
      if (Array.isArray(s.allOf))
        return { properties: Object.assign({}, ...s.allOf.map((x: any) => resolve(x).properties)) };
      return s;
    };
    const untyped: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
          const schema = res.content?.['application/json']?.schema;
          if (!status.startsWith('2') || !schema) continue;
          checked++;
          const s = resolve(schema);
          if (!s.properties || !Object.keys(s.properties).length) untyped.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(untyped).toEqual([]);
    const page = resolve(
      doc.paths['/api/reviews/{id}'].get.responses['200'].content['application/json'].schema,
    );
    expect(Object.keys(page.properties as object)).toEqual(
      expect.arrayContaining(['codeName', 'rubric', 'myReview', 'progress']),
    );
    expect(page.properties).not.toHaveProperty('email');
  });

  it('answers the liveness probe', async () => {
    const r = await t.req(undefined, 'GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
  });
});
