/**
 * Checks the deployment files a self-hoster relies on: docker-compose.yml must be valid for the
 * Compose CLI and wire the server to its database and the Docker engine; the image must not run
 * as root. No Docker engine is contacted: `docker-compose config` only validates the file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { needs } from '../helpers/require.ts';
import { composeCommand, composeFile, operatorEnv, repoRoot as root } from './compose-cli.ts';

const dockerfile = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

const compose = composeCommand();

describe.runIf(needs('compose', compose !== undefined, 'apt-get install docker-compose'))(
  'docker-compose CLI',
  () => {
    const config = (extra: NodeJS.ProcessEnv, args: string[] = []) => {
      const [bin, ...rest] = compose as [string, ...string[]];
      const env = operatorEnv(extra);
      return spawnSync(bin, [...rest, '-f', composeFile, 'config', ...args], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
    };

    it('accepts docker-compose.yml once POSTGRES_PASSWORD is set, with a default for the rest', () => {
      const r = config({ POSTGRES_PASSWORD: 'pw' }, ['-q']);
      expect(r.error).toBeUndefined();
      expect(r.stderr).not.toMatch(/variable is not set/i);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    });

    it('refuses to start without POSTGRES_PASSWORD, saying so (no silent default password)', () => {
      const r = config({}, ['-q']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/set POSTGRES_PASSWORD/);
    });

    it('publishes on loopback by default, on the address and port the operator chooses otherwise', () => {
      expect(config({ POSTGRES_PASSWORD: 'pw' }).stdout).toMatch(/- 127\.0\.0\.1:8080:8080\/tcp/);
      const chosen = config({ POSTGRES_PASSWORD: 'pw', WORKSAMPLE_BIND: '0.0.0.0', WORKSAMPLE_PORT: '9000' });
      expect(chosen.stdout).toMatch(/- 0\.0\.0\.0:9000:8080\/tcp/);
    });

    it('passes every setting of the env file to the server', () => {
      const out = config({ POSTGRES_PASSWORD: 'pw' }).stdout;
      expect(out).toMatch(/NODE_ENV: production/);
      expect(out).toMatch(/SANDBOX_GATEWAY_MODE: attach/);
    });
  },
);

interface Service {
  build?: string | { context?: string };
  image?: string;
  environment?: Record<string, string> | string[];
  volumes?: (string | { source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number)[];
  healthcheck?: { test?: string | string[] };
}

function env(svc: Service): Record<string, string> {
  const e = svc.environment ?? {};
  if (!Array.isArray(e)) return e;
  return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('docker-compose.yml structure', () => {
  const doc = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, Service> };
  const app = doc.services.worksample;
  const db = doc.services.db;

  it('has the worksample and db services', () => {
    expect(app).toBeDefined();
    expect(db).toBeDefined();
  });

  it('builds worksample from the repository root and publishes container port 8080', () => {
    const build = app!.build;
    expect(typeof build === 'string' ? build : build?.context).toBe('.');
    expect(app!.ports?.map(String).some((p) => p.endsWith(':8080'))).toBe(true);
  });

  it('mounts the tasks and assessments folders read-only', () => {
    const vols = (app!.volumes ?? []).map(String);
    expect(vols).toContain('${WORKSAMPLE_TASKS_DIR:-./tasks}:/app/tasks:ro');
    expect(vols).toContain('${WORKSAMPLE_ASSESSMENTS_DIR:-./assessments}:/app/assessments:ro');
  });

  it('starts worksample only once db is healthy', () => {
    const dep = app!.depends_on;
    expect(dep && !Array.isArray(dep) ? dep.db?.condition : undefined).toBe('service_healthy');
    expect(db!.healthcheck?.test).toBeDefined();
    expect(JSON.stringify(db!.healthcheck?.test)).toContain('pg_isready');
  });

  it('runs PostgreSQL 15 with a persistent volume and a password from the environment', () => {
    expect(db!.image).toMatch(/^postgres:15\b/);
    expect(env(db!).POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD/);
    expect(db!.volumes?.some((v) => String(v).endsWith(':/var/lib/postgresql/data'))).toBe(true);
  });

  it('points DATABASE_URL at the db service, with the same password', () => {
    const url = env(app!).DATABASE_URL ?? '';
    expect(url).toMatch(/^postgres:\/\/worksample:\$\{POSTGRES_PASSWORD[^}]*\}@db:5432\/worksample$/);
    expect(env(app!)).toMatchObject({ SANDBOX_DRIVER: 'docker' });
    for (const key of ['PUBLIC_URL', 'LLM_UPSTREAM', 'OPENAI_API_KEY']) expect(env(app!)).toHaveProperty(key);
  });

  it('mounts the Docker socket (with a security warning) and persists /app/data', () => {
    const vols = (app!.volumes ?? []).map(String);
    expect(vols).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(vols.some((v) => v.endsWith(':/app/data'))).toBe(true);
    expect(readFileSync(composeFile, 'utf8')).toMatch(/root-equivalent/);
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(dockerfile, 'utf8')
    .replace(/\\\r?\n/g, ' ') // join continuation lines
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const finalStage = lines.slice(lastFrom);

  it('is multi-stage on node:20-bookworm-slim', () => {
    const froms = lines.filter((l) => /^FROM\s/i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(finalStage[0]).toMatch(/^FROM\s+node:20-bookworm-slim\b/i);
  });

  it('runs the final stage as a non-root user', () => {
    const users = finalStage.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(/\s+/)[1]!.split(':')[0];
    expect(['root', '0']).not.toContain(user);
  });

  it('serves on 0.0.0.0:8080 with a health check', () => {
    const text = finalStage.join('\n');
    expect(text).toMatch(/^EXPOSE\s+8080\b/m);
    expect(text).toMatch(/HOST=0\.0\.0\.0/);
    expect(text).toMatch(/PORT=8080/);
    expect(text).toMatch(/^HEALTHCHECK\b.*\/api\/health/m);
    expect(text).toMatch(/^CMD\s+\["node",\s*"bin\/worksample\.js",\s*"serve"\]/m);
  });
});
