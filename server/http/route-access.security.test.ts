/**
 * API token scope enforcement on every /api route, generated from the app's own route list: a route
 * nobody decided about fails here, and every (route, scope) pair is tried through app.request with a
 * token holding only that scope. Attack: a token made for one job (say, creating invitations) used
 * on any other route — reading submissions, managing users or tokens, acting as a candidate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../api-tokens/index.ts';
import { makeTestApp, type Browser, type TestApp } from '../testing/index.ts';
import { ROUTE_ACCESS, routeKey } from './route-access.ts';

describe('API token scopes on every route (security)', () => {
  let t: TestApp;
  let admin: Browser;
  const tokens = new Map<Scope | 'all', string>();
  let params: Record<string, string>;

  beforeAll(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    for (const scope of [...SCOPES, 'all'] as const) {
      const r = await t.req(admin, 'POST', '/api/tokens', {
        name: `only ${scope}`,
        scopes: scope === 'all' ? [...SCOPES] : [scope],
      });
      expect(r.status, r.text).toBe(201);
      tokens.set(scope, r.json.secret);
    }
    const { attemptId } = await t.startedCandidate();
    const other = await t.invite('Grace Hopper', 'grace@example.com');
    params = { id: attemptId, slug: 'hello-llm', runId: 'run_missing', sha256: '0'.repeat(64) };
    // Invitation routes get an invitation id; /api/tokens/{id} a token id.
    params.invitation = other.invitation.id;
  }, 60_000);
  afterAll(() => t.close());

  const apiRoutes = () => {
    const keys = t.app.routes
      .filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => routeKey(r.method, r.path));
    return [...new Set(keys)];
  };

  const call = (key: string, token: string) => {
    const [method, path] = key.split(' ') as [string, string];
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
      path.startsWith('/api/invitations/') && name === 'id' ? params.invitation! : (params[name] ?? 'x'),
    );
    const query = key === 'GET /api/attempts/{id}/file' ? '?path=main.py' : '';
    return t.req(undefined, method, url + query, method === 'GET' ? undefined : {}, {
      authorization: `Bearer ${token}`,
    });
  };

  it('decides, for every /api route, whether tokens may call it and with which scope', () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThan(50);
    const undecided = routes.filter((k) => !(k in ROUTE_ACCESS));
    expect(undecided, 'add these routes to ROUTE_ACCESS in server/http/route-access.ts').toEqual([]);
    const stale = Object.keys(ROUTE_ACCESS).filter((k) => !routes.includes(k));
    expect(stale, 'ROUTE_ACCESS lists routes that no longer exist').toEqual([]);
    // The table names only real scopes.
    for (const access of Object.values(ROUTE_ACCESS))
      expect(['public', 'session', ...SCOPES]).toContain(access);
  });

  it('lets a token through only on the routes mapped to a scope it holds', async () => {
    const wrong: string[] = [];
    for (const key of apiRoutes()) {
      const access = ROUTE_ACCESS[key]!;
      if (access === 'public') continue;
      for (const scope of [...SCOPES, 'all'] as const) {
        const r = await call(key, tokens.get(scope)!);
        const allowed = access !== 'session' && (scope === 'all' || scope === access);
        const refused = r.status === 403 && r.json?.error?.code === 'insufficient_scope';
        if (allowed && (r.status === 401 || r.status === 403))
          wrong.push(`${key} with ${scope}: refused ${r.status} ${r.text.slice(0, 120)}`);
        if (!allowed && !refused) wrong.push(`${key} with ${scope}: let through (${r.status})`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('answers the scoped read routes for real with a token that holds the scope', async () => {
    const attempt = await call('GET /api/attempts/{id}', tokens.get('results:read')!);
    expect(attempt.status).toBe(200);
    expect(attempt.json.attempt.id).toBe(params.id);
    const invitations = await call('GET /api/invitations', tokens.get('invitations:read')!);
    expect(invitations.status).toBe(200);
    expect(invitations.json.invitations).toHaveLength(2);
    const tasks = await call('GET /api/tasks', tokens.get('tasks:read')!);
    expect(tasks.json.tasks.map((x: { slug: string }) => x.slug)).toEqual(['hello-llm']);
  });

  it('never lets a token act on a candidate route, even one holding every scope', async () => {
    for (const key of ['GET /api/candidate', 'POST /api/candidate/start', 'PUT /api/attempts/{id}/file']) {
      const r = await call(key, tokens.get('all')!);
      expect(r.status, key).toBe(403);
      expect(r.json.error.code).toBe('insufficient_scope');
    }
  });

  it('tells the client which scope was missing', async () => {
    const r = await call('POST /api/invitations', tokens.get('invitations:read')!);
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({
      code: 'insufficient_scope',
      details: { required: 'invitations:write' },
    });
    expect(r.json.error.message).toContain('invitations:write');
    expect(r.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="invitations:write"',
    );
  });

  it('ignores a token on public routes and answers unknown routes with 404', async () => {
    const health = await t.req(undefined, 'GET', '/api/health', undefined, {
      authorization: 'Bearer nonsense',
    });
    expect(health.status).toBe(200);
    const missing = await t.req(undefined, 'GET', '/api/nothing-here', undefined, {
      authorization: `Bearer ${tokens.get('all')}`,
    });
    expect(missing.status).toBe(404);
  });

  it('publishes the same decisions in the OpenAPI document', async () => {
    const doc = (await t.req(undefined, 'GET', '/api/openapi.json')).json;
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      if (key === 'GET /api/openapi.json') continue; // the document itself is not in the document
      const [method, path] = key.split(' ') as [string, string];
      const security: Array<Record<string, string[]>> = doc.paths[path][method.toLowerCase()].security;
      const bearer = security.filter((s) => 'bearerAuth' in s);
      if (access === 'public') expect(security, key).toEqual([]);
      else if (access === 'session') expect(bearer, key).toEqual([]);
      else expect(bearer, key).toEqual([{ bearerAuth: [access] }]);
    }
  });
});
