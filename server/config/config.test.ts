import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toMatch(/^sqlite:\/.*\/data\/worksample\.db$/);
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      llmUpstream: 'mock',
      sandboxDriver: 'auto',
      publicUrl: 'http://127.0.0.1:8080',
    });
  });

  it('names every wrong variable and what it accepts', () => {
    try {
      loadConfig({ PORT: '99999', SANDBOX_DRIVER: 'podman', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const { problems } = err as ConfigError;
      expect(problems).toContain('PORT="99999": expected a port number 0-65535');
      expect(problems).toContain('SANDBOX_DRIVER="podman": expected auto, docker, local, none or workers');
      expect(problems.find((p) => p.startsWith('DATABASE_URL='))).toMatch(
        /expected sqlite:<file path> or postgres:\/\//,
      );
    }
  });

  it('requires a worker token of 32 characters for sandbox workers, and never prints it', () => {
    expect(() => loadConfig({ SANDBOX_DRIVER: 'workers' })).toThrow(
      /WORKER_TOKEN: required when SANDBOX_DRIVER=workers/,
    );
    const short = 'secret-but-too-short';
    try {
      loadConfig({ SANDBOX_DRIVER: 'workers', WORKER_TOKEN: short });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['WORKER_TOKEN="***": expected at least 32 characters']);
      expect((err as Error).message).not.toContain(short);
    }
    const token = 'k'.repeat(32);
    const c = loadConfig({ SANDBOX_DRIVER: 'workers', WORKER_TOKEN: token, GATEWAY_PORT: '9001' });
    expect(c.workers).toMatchObject({
      token,
      host: '127.0.0.1',
      port: 8082,
      url: undefined,
      maxSessions: 200,
      // Sandboxes' gateway connections go to the API servers' gateway on this host unless told otherwise.
      gatewayUpstream: '127.0.0.1:9001',
    });
    expect(c.gatewayHost).toBe('127.0.0.1');
    expect(() => loadConfig({ WORKER_GATEWAY_UPSTREAM: 'http://api:8081' })).toThrow(
      /WORKER_GATEWAY_UPSTREAM/,
    );
    expect(loadConfig({ WORKER_URL: 'http://10.0.0.5:8082/' }).workers.url).toBe('http://10.0.0.5:8082');
  });

  it('requires a provider key only when the openai upstream is chosen', () => {
    expect(() => loadConfig({ LLM_UPSTREAM: 'openai' })).toThrow(
      /OPENAI_API_KEY: required when LLM_UPSTREAM=openai/,
    );
    expect(loadConfig({ LLM_UPSTREAM: 'openai', OPENAI_API_KEY: 'sk-test' }).openaiApiKey).toBe('sk-test');
    expect(() => loadConfig({ LLM_UPSTREAM: 'anthropic' })).toThrow(
      /ANTHROPIC_API_KEY: required when LLM_UPSTREAM=anthropic/,
    );
    expect(
      loadConfig({
        LLM_UPSTREAM: 'anthropic',
        ANTHROPIC_API_KEY: 'sk-ant-test',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/',
      }),
    ).toMatchObject({
      llmUpstream: 'anthropic',
      anthropicApiKey: 'sk-ant-test',
      anthropicBaseUrl: 'http://127.0.0.1:9/',
    });
  });

  it('treats empty values as unset and strips a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PORT: '', PUBLIC_URL: 'https://hire.example.com/' })).toMatchObject({
      port: 8080,
      publicUrl: 'https://hire.example.com',
    });
  });

  it('seeds no demo admin in production unless DEMO_SEED asks for it', () => {
    expect(loadConfig({}).demoSeed).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).demoSeed).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DEMO_SEED: 'true' }).demoSeed).toBe(true);
    expect(loadConfig({ DEMO_SEED: 'false' }).demoSeed).toBe(false);
  });

  it('takes SANDBOX_GATEWAY_MODE auto, host or attach', () => {
    expect(loadConfig({}).sandbox.gatewayMode).toBe('auto');
    expect(loadConfig({ SANDBOX_GATEWAY_MODE: 'attach' }).sandbox.gatewayMode).toBe('attach');
    expect(() => loadConfig({ SANDBOX_GATEWAY_MODE: 'relay' })).toThrow(/SANDBOX_GATEWAY_MODE/);
  });
});

describe('AUTOSAVE_SYNC_COMMIT', () => {
  it('is on unless turned off, and names itself when malformed', () => {
    expect(loadConfig({}).autosaveSyncCommit).toBe(true);
    expect(loadConfig({ AUTOSAVE_SYNC_COMMIT: 'false' }).autosaveSyncCommit).toBe(false);
    expect(() => loadConfig({ AUTOSAVE_SYNC_COMMIT: 'sometimes' })).toThrow(/AUTOSAVE_SYNC_COMMIT=/);
  });
});

describe('SANDBOX_SUBNET_POOL and SANDBOX_IDLE_MINUTES', () => {
  it('defaults to 10.213.0.0/16 and ten minutes', () => {
    expect(loadConfig({}).sandbox).toMatchObject({ subnetPool: '10.213.0.0/16', idleMs: 600_000 });
    expect(loadConfig({ SANDBOX_IDLE_MINUTES: '0' }).sandbox.idleMs).toBe(0);
  });

  it('takes a private range of /28 or larger', () => {
    expect(loadConfig({ SANDBOX_SUBNET_POOL: '172.30.0.0/20' }).sandbox.subnetPool).toBe('172.30.0.0/20');
    expect(loadConfig({ SANDBOX_SUBNET_POOL: '192.168.100.0/28' }).sandbox.subnetPool).toBe(
      '192.168.100.0/28',
    );
  });

  it.each([
    ['10.213.0.0', /expected an IPv4 range/],
    ['10.213.0.1/16', /no host bits set/],
    ['10.300.0.0/16', /expected an IPv4 range/],
    ['10.213.0.0/29', /\/28 or larger/],
    ['8.8.0.0/16', /private range/],
    ['0.0.0.0/0', /private range/],
  ])('refuses %s, naming the variable', (value, why) => {
    expect(() => loadConfig({ SANDBOX_SUBNET_POOL: value })).toThrow(/SANDBOX_SUBNET_POOL=/);
    expect(() => loadConfig({ SANDBOX_SUBNET_POOL: value })).toThrow(why);
  });
});

describe('WEBHOOK_RETENTION_DAYS', () => {
  it('keeps finished deliveries 30 days by default; 0 keeps them forever', () => {
    expect(loadConfig({}).webhooks.retentionMs).toBe(30 * 24 * 3600_000);
    expect(loadConfig({ WEBHOOK_RETENTION_DAYS: '0' }).webhooks.retentionMs).toBe(0);
  });

  it.each(['-1', '1.5', 'forever'])('refuses %s, naming the variable and what it accepts', (value) => {
    expect(() => loadConfig({ WEBHOOK_RETENTION_DAYS: value })).toThrow(
      `WEBHOOK_RETENTION_DAYS="${value}": expected a whole number of days >= 0`,
    );
  });
});
