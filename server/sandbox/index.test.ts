import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../logger/index.ts';
import { createSandboxDriver, LOCAL_WARNING } from './index.ts';

const imageFor = async (env: string) => `worksample-sandbox-${env}:test`;

function capture() {
  const lines: string[] = [];
  const logger = createLogger('warn', {
    write: (l: string) => lines.push(l),
  } as unknown as NodeJS.WritableStream);
  return { logger, lines };
}

describe('createSandboxDriver', () => {
  it('refuses the local driver in production unless explicitly allowed', async () => {
    const { logger } = capture();
    await expect(
      createSandboxDriver(loadConfig({ SANDBOX_DRIVER: 'local', NODE_ENV: 'production' }), logger, imageFor),
    ).rejects.toThrow(/no isolation.*ALLOW_LOCAL_SANDBOX_IN_PRODUCTION=true/s);
    const allowed = await createSandboxDriver(
      loadConfig({
        SANDBOX_DRIVER: 'local',
        NODE_ENV: 'production',
        ALLOW_LOCAL_SANDBOX_IN_PRODUCTION: 'true',
      }),
      logger,
      imageFor,
    );
    expect(allowed.name).toBe('local');
  });

  it('warns loudly in the log and in its status when it falls back to the local driver', async () => {
    const { logger, lines } = capture();
    const driver = await createSandboxDriver(loadConfig({ SANDBOX_DRIVER: 'local' }), logger, imageFor);
    expect(lines.join('')).toContain('NO isolation');
    expect((await driver.status()).warning).toBe(LOCAL_WARNING);
  });

  it('runs nothing with SANDBOX_DRIVER=none and says why', async () => {
    const { logger } = capture();
    const driver = await createSandboxDriver(loadConfig({ SANDBOX_DRIVER: 'none' }), logger, imageFor);
    expect(await driver.status()).toMatchObject({ driver: 'none', ready: false });
    await expect(
      driver.createSession({
        env: 'node',
        purpose: 'test',
        ownerId: 'x',
        network: 'none',
        limits: {} as never,
      }),
    ).rejects.toThrow(/code cannot run: SANDBOX_DRIVER=none/);
  });
});
