/**
 * An idle attempt costs nothing on the engine: after SANDBOX_IDLE_MINUTES without a Run its container,
 * network and volume are destroyed, and the next Run — through the product's HTTP path — recreates
 * the session from the files stored in the database and runs the candidate's code as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../server/testing/index.ts';
import { followEvents, stdoutOf } from '../../server/testing/sse.ts';
import type { DockerSession } from '../../server/sandbox/docker/driver.ts';
import { needs } from '../helpers/require.ts';
import { docker, makeDriver, sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { freePort } from '../helpers/process.ts';

const ready = await sandboxesReady(['node']);
const IDLE_MS = 10 * 60_000;

describe.runIf(needs('docker', ready, sandboxesHint))('idle attempt sandboxes', () => {
  let t: TestApp;

  beforeEach(async () => {
    const driver = await makeDriver(await freePort(), { instance: `idle-test-${process.pid}` });
    t = await makeTestApp({ driver, sandbox: { poolSize: 0, warmEnvs: [], idleMs: IDLE_MS } });
    await t.importExample();
  });
  afterEach(() => t.close(), 60_000);

  const run = async (browser: Browser, attemptId: string) => {
    const res = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(res.status, res.text).toBe(202);
    const events = await followEvents(t, browser, attemptId, res.json.run.id);
    return { stdout: stdoutOf(events), exit: events.at(-1)?.data };
  };

  it('are reclaimed after the idle time, and the next Run recreates one with the candidate’s files', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'main.mjs',
      content:
        "import { readFileSync, writeFileSync } from 'node:fs';\n" +
        "import { existsSync } from 'node:fs';\n" +
        "console.log('saved:', readFileSync('notes.txt', 'utf8').trim());\n" +
        "console.log('made by a run: ' + existsSync('made-by-run.txt'));\n" +
        "writeFileSync('made-by-run.txt', 'x');\n",
    });
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'notes.txt', content: 'v1\n' });
    const first = await run(browser, attemptId);
    expect(first.exit, first.stdout).toMatchObject({ verdict: 'ok' });
    expect(first.stdout).toContain('saved: v1');
    const before = (await t.services.sandbox.existing(attemptId)!).session as DockerSession;

    // Not yet idle long enough: kept.
    t.clock.advance(IDLE_MS - 1);
    expect(await t.services.sandbox.reclaimIdle()).toBe(0);
    t.clock.advance(1);
    expect(await t.services.sandbox.reclaimIdle()).toBe(1);
    await expect(before.container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getNetwork(before.networkName!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(before.volume).inspect()).rejects.toMatchObject({ statusCode: 404 });

    // A file saved while no sandbox existed, then Run: a new session with every stored file.
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'notes.txt', content: 'v2\n' });
    const second = await run(browser, attemptId);
    expect(second.exit, second.stdout).toMatchObject({ verdict: 'ok' });
    expect(second.stdout).toContain('saved: v2');
    // What a run wrote into the old container went with it; only stored files come back.
    expect(second.stdout).toContain('made by a run: false');
    const after = (await t.services.sandbox.existing(attemptId)!).session as DockerSession;
    expect(after.id).not.toBe(before.id);
    expect((await after.container.inspect()).State.Running).toBe(true);
  }, 120_000);
});
