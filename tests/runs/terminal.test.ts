/**
 * The Terminal on the real Docker engine, through a listening server and its WebSocket: a shell in
 * the attempt's own sandbox as the candidate uid with the saved files, the same network as Run (the
 * LLM gateway's port answers; another listener on the same address does not), a resizable terminal,
 * a closed terminal leaves no process behind, a Run's cleanup ends the shell with a clear reason,
 * and a submit ends it with the container.
 */
import type { Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import type { DockerSession } from '../../server/sandbox/docker/driver.ts';
import type { Listening } from '../../server/http/listen.ts';
import { makeTestApp, type TestApp } from '../../server/testing/index.ts';
import { listenTestApp, openTerminal } from '../../server/testing/terminal.ts';
import { followEvents } from '../../server/testing/sse.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver, docker } from '../helpers/docker.ts';
import { freePort } from '../helpers/process.ts';
import { containerProcesses, greeter } from '../sandbox/fixtures.ts';

const ready = await sandboxesReady(['node']);
const firewall = ready ? await hostFirewall() : undefined;

/** A one-line TCP probe the shell runs with node: prints OPEN or CLOSED for host:port. */
const probe = (host: string, port: number) =>
  `node -e "const s=require('net').connect(${port},'${host}');s.on('connect',()=>{console.log('PROBE ${port} OPEN');process.exit()});s.on('error',()=>{console.log('PROBE ${port} CLOSED');process.exit()});setTimeout(()=>{console.log('PROBE ${port} CLOSED');process.exit()},3000)"\r`;

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, start dockerd as root, then npm run sandboxes:build -- --offline',
  ),
)('terminal in the Docker sandbox', () => {
  let t: TestApp;
  let server: Listening;
  let gatewayPort: number;
  let other: Server | undefined;

  beforeEach(async () => {
    gatewayPort = await freePort();
    const port = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort), PUBLIC_URL: `http://127.0.0.1:${port}` },
      sandbox: { poolSize: 0 },
      terminal: { detachedMs: 1000 },
    });
    await t.importExample();
    server = await listenTestApp(t);
  });
  afterEach(async () => {
    other?.close();
    other = undefined;
    await t.services.terminal.close();
    await server.close(100);
    await t.close();
    await t.services.gateway.close();
  });

  it('runs commands as the sandbox user on the saved files, with the network Run has, and resizes', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const put = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'notes.txt',
      content: 'saved in the editor\n',
    });
    expect(put.status).toBe(200);
    const term = await openTerminal(t, attemptId, browser, { query: '?cols=80&rows=24' });
    await term.waitFor(/\/workspace \$ $/);
    term.type('echo hi; id -u; ls /workspace\r');
    const out = await term.waitFor(/notes\.txt/);
    expect(out).toMatch(/\nhi\n1000\n/);
    expect(out).toContain('main.mjs');

    // A file saved while the terminal is open is there for the next command.
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'later.txt', content: 'x\n' });
    term.type('ls later.txt\r');
    await term.waitFor(/\nlater\.txt\n/);

    term.type('stty size\r');
    await term.waitFor(/\n24 80\n/);
    term.send({ t: 'resize', cols: 132, rows: 41 });
    term.type('stty size\r');
    await term.waitFor(/\n41 132\n/);

    // Same network as a Run: the gateway's port on its address answers; another port there does not.
    const { session } = await t.services.sandbox.existing(attemptId)!;
    const address = session.gatewayAddress!;
    expect(address).toBeTruthy();
    const otherPort = await freePort();
    other = await greeter(address, otherPort, 'hello');
    term.type(probe(address, gatewayPort));
    await term.waitFor(new RegExp(`PROBE ${gatewayPort} OPEN`));
    term.type(probe(address, otherPort));
    const probed = await term.waitFor(new RegExp(`PROBE ${otherPort} (OPEN|CLOSED)`));
    expect(probed).toContain(`PROBE ${otherPort} CLOSED`);

    // A flood of output is paced, not lost: all of it arrives, and the shell answers afterwards.
    term.type("head -c 600000 /dev/zero | tr '\\0' x; echo; echo flood-$((2+3))\r");
    await term.waitFor(/flood-5/, 60_000);
    expect(term.output().match(/x/g)?.length).toBeGreaterThanOrEqual(600_000);

    // The recording is on the timeline.
    await t.services.terminal.flush();
    const admin = await t.staff('admin');
    const events = (await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`)).json.events as Array<{
      type: string;
      payload: { in?: string; out?: string };
    }>;
    const io = events.filter((e) => e.type === 'terminal.io');
    expect(io.map((e) => e.payload.in ?? '').join('')).toContain('echo hi; id -u; ls /workspace\r');
    expect(io.map((e) => e.payload.out ?? '').join('')).toContain('notes.txt');
  });

  it('a closed terminal leaves nothing running; a Run ends the shell with the reason; submit ends it', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const first = await openTerminal(t, attemptId, browser);
    await first.waitFor(/\$ $/);
    first.type('sleep 600 & sleep 601\r');
    const { session } = await t.services.sandbox.existing(attemptId)!;
    await expect
      .poll(async () =>
        (await containerProcesses(session as DockerSession)).some((p) => p.args === 'sleep 601'),
      )
      .toBe(true);
    first.close();
    // No browser for detachedMs (1 s here): the shell and everything in its terminal session go.
    await expect
      .poll(async () => (await containerProcesses(session as DockerSession)).filter((p) => p.uid === 1000), {
        timeout: 10_000,
      })
      .toEqual([]);

    // A Run ends every candidate process, the terminal's shell too: it says so, and a new one starts.
    const term = await openTerminal(t, attemptId, browser);
    await term.waitFor(/\$ $/);
    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    await followEvents(t, browser, attemptId, run.json.run.id);
    expect((await term.closed).code).toBe(4001);
    expect(term.messages.at(-1)).toMatchObject({
      t: 'ended',
      final: false,
      reason: /Run and Run tests end every process/,
    });
    const next = await openTerminal(t, attemptId, browser);
    next.type('echo again\r');
    await next.waitFor(/\nagain\n/);

    // Submit: the socket closes with the reason, and the container (with the shell) is gone.
    const id = (session as DockerSession).container.id;
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    expect(await next.closed).toEqual({ code: 4000, reason: 'attempt over' });
    expect(next.messages.at(-1)).toMatchObject({ reason: /submitted/, final: true });
    await t.services.settle();
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
