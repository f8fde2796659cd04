import type Docker from 'dockerode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../logger/index.ts';
import { DockerDriver } from './driver.ts';

const failingPing = (code: string) =>
  ({
    ping: () =>
      Promise.reject(
        Object.assign(new Error(`connect ${code} /var/run/docker.sock`), {
          code,
          address: '/var/run/docker.sock',
        }),
      ),
  }) as unknown as Docker;

describe('Docker engine status', () => {
  it('names a socket permission problem and the fix, not "does not answer"', async () => {
    const driver = new DockerDriver({
      docker: failingPing('EACCES'),
      imageFor: async () => 'x',
      logger: silentLogger,
    });
    const status = await driver.status();
    expect(status.ready).toBe(false);
    expect(status.detail).toMatch(/^permission denied on \/var\/run\/docker\.sock: .*DOCKER_GID/);
  });

  it('says the engine does not answer when nothing listens', async () => {
    const driver = new DockerDriver({
      docker: failingPing('ENOENT'),
      imageFor: async () => 'x',
      logger: silentLogger,
    });
    expect((await driver.status()).detail).toBe('the Docker engine does not answer');
  });

  it('reports LLM tasks unavailable, with the reason for staff, without firewall or attach mode', async () => {
    const docker = {
      ping: async () => 'OK',
      getImage: () => ({ inspect: async () => ({}) }),
    } as unknown as Docker;
    const host = new DockerDriver({
      docker,
      imageFor: async () => 'x',
      logger: silentLogger,
      gatewayPort: 8081,
    });
    expect((await host.status()).gatewayNetworks).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/firewall/),
    });
    const attached = new DockerDriver({
      docker,
      imageFor: async () => 'x',
      logger: silentLogger,
      gatewayPort: 8081,
      attachTo: 'c0ffee',
    });
    expect((await attached.status()).gatewayNetworks).toEqual({ ready: true });
  });

  it('gives the candidate a neutral message, and the operator log the firewall detail', async () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, error: (obj: unknown) => logged.push(obj) } as typeof silentLogger;
    const docker = {
      createVolume: async () => ({}),
      getVolume: () => ({ remove: async () => ({}) }),
    } as unknown as Docker;
    const driver = new DockerDriver({ docker, imageFor: async () => 'x', logger, gatewayPort: 8081 });
    const limits = {} as never;
    const err = await driver
      .createSession({ env: 'node', purpose: 'attempt', ownerId: 'a', limits, network: 'gateway' })
      .catch((e: Error) => e);
    expect(String(err)).not.toMatch(/iptables|firewall|root/);
    expect(String(err)).toMatch(/tell the hiring team/);
    expect(JSON.stringify(logged)).toMatch(/iptables/);
  });

  describe('a busy engine', () => {
    afterEach(() => vi.useRealTimers());

    it('stays ready while its ping is merely slow, but not when it was never ready', async () => {
      vi.useFakeTimers();
      let slow = false;
      const docker = {
        ping: () => (slow ? new Promise(() => {}) : Promise.resolve('OK')),
        getImage: () => ({ inspect: async () => ({}) }),
      } as unknown as Docker;
      const driver = new DockerDriver({ docker, imageFor: async () => 'x', logger: silentLogger });
      expect((await driver.status()).ready).toBe(true);
      slow = true;
      vi.setSystemTime(Date.now() + 6000); // past the status cache
      const later = driver.status();
      await vi.advanceTimersByTimeAsync(10_500); // past the ping timeout
      expect(await later).toMatchObject({ ready: true });

      const fresh = new DockerDriver({ docker, imageFor: async () => 'x', logger: silentLogger });
      const first = fresh.status();
      await vi.advanceTimersByTimeAsync(10_500);
      expect(await first).toMatchObject({
        ready: false,
        detail: 'the Docker engine does not answer in time',
      });
    });
  });
});
