/**
 * The generated OpenAPI document passes a standard linter (Redocly CLI, its recommended rules) with
 * no errors, and every operation has an operationId, tags and a security requirement. The document is
 * the one the server serves (GET /api/openapi.json), not a copy. Redocly runs offline (telemetry and
 * update checks off).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, repoRoot, type TestApp } from '../../server/testing/index.ts';

const run = promisify(execFile);
const redocly = path.join(repoRoot, 'node_modules/.bin/redocly');

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer?: string }>;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  let dir: string;
  beforeAll(async () => {
    t = await makeTestApp();
    doc = await (await t.app.request('/api/openapi.json')).json();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ws-openapi-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives every operation an operationId, tags and the security it needs', () => {
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, item]) =>
      Object.entries(item).map(([method, op]) => ({ at: `${method.toUpperCase()} ${p}`, op })),
    );
    expect(ops.length).toBeGreaterThan(40);
    for (const { at, op } of ops) {
      expect(op.operationId, at).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(op.tags?.length, at).toBeGreaterThan(0);
      expect(Array.isArray(op.security), at).toBe(true);
    }
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const security = (at: string) => ops.find((o) => o.at === at)?.op.security;
    expect(security('GET /api/health')).toEqual([]);
    expect(security('POST /api/auth/login')).toEqual([]);
    expect(security('POST /api/candidate/start')).toEqual([{ candidateCookie: [] }]);
    expect(security('GET /api/users')).toEqual([{ staffCookie: [] }]);
    expect(security('PUT /api/attempts/{id}/file')).toEqual([{ staffCookie: [] }, { candidateCookie: [] }]);
    expect(security('GET /api/attempts/{id}/answer-key')).toEqual([{ staffCookie: [] }]);
  });

  it('passes redocly lint (recommended rules) with no errors', async () => {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const result = await run(redocly, ['lint', file, '--format=json'], {
      cwd: dir,
      env: {
        ...process.env,
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
        NO_COLOR: '1',
      },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string; stderr?: string }) => err);
    const out = String(result.stdout ?? '');
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { problems: Problem[] };
    const errors = report.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
  });
});
