/**
 * Memory amplification (issue 11, item 5) on the real Docker engine through the product path: a Run
 * writing single bytes alternately to stdout and stderr used to become one hub event per byte
 * (184 115 events, 134 MB → 410 MB RSS). Now its live stream has a bounded number of events, the hub
 * keeps at most the output cap for replay, and the output arrives intact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { defaultLimits } from '../../server/sandbox/types.ts';
import { makeTestApp, type TestApp } from '../../server/testing/index.ts';
import { followEvents } from '../../server/testing/sse.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { freePort } from '../helpers/process.ts';

const ready = await sandboxesReady(['node']);
const firewall = ready ? await hostFirewall() : undefined;

const N = 100_000; // bytes per stream, under the 1 MiB cap

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, build the sandboxes',
  ),
)('output of a Run writing single bytes', () => {
  let t: TestApp;
  beforeEach(async () => {
    const gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort) },
      sandbox: { poolSize: 0, limits: { ...defaultLimits, wallMs: 60_000 } },
    });
    await t.importExample();
  });
  afterEach(async () => {
    await t.close();
    await t.services.gateway.close();
  });

  it('arrives intact in a bounded number of events, and the hub keeps at most the cap', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const program = `
import { writeSync } from 'node:fs';
for (let i = 0; i < ${2 * N}; i++) writeSync(i % 2 ? 2 : 1, i % 2 ? 'e' : 'o');
`;
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'main.mjs', content: program });
    const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(start.status).toBe(202);
    const runId = start.json.run.id as string;
    const events = await followEvents(t, browser, attemptId, runId);
    const exit = events.at(-1)!;
    expect(exit).toMatchObject({ event: 'exit', data: { verdict: 'ok' } });
    const text = (s: string) =>
      events
        .filter((e) => e.event === s)
        .map((e) => e.data)
        .join('');
    expect(text('stdout')).toBe('o'.repeat(N));
    expect(text('stderr')).toBe('e'.repeat(N));
    // At most one flush per stream per 25 ms of the run, plus one per 16 KiB: hundreds, not 200 000.
    const output = events.filter((e) => e.event === 'stdout' || e.event === 'stderr').length;
    const bound = 2 * Math.ceil(exit.data.durationMs / 25) + 2 * Math.ceil(N / (16 * 1024)) + 10;
    expect(output).toBeLessThanOrEqual(bound);
    expect(output).toBeLessThan(2000);
    const kept = t.services.runs.hub.stats(runId)!;
    expect(kept.keptChars).toBeLessThanOrEqual(2 * defaultLimits.outputBytes + 1024);
    expect(kept.events).toBeLessThanOrEqual(output + 10);
  });
});
