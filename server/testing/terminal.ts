/**
 * Terminal test helpers: a real listening server for a test app (WebSocket upgrades need one;
 * app.request() cannot upgrade), a WebSocket client that keeps what the server sent, and a fake shell
 * for route tests without Docker (it echoes what it is sent, like a terminal in cooked mode).
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { listenAll, type Listening } from '../http/index.ts';
import type { RunningShell, SandboxDriver, ShellRequest } from '../sandbox/index.ts';
import type { ServerMessage } from '../terminal/index.ts';
import type { Browser, TestApp } from './index.ts';

/** Serves the test app on the port of its PUBLIC_URL (pick one with freePort), upgrades included. */
export function listenTestApp(t: TestApp): Promise<Listening> {
  const port = Number(new URL(t.config.publicUrl).port);
  return listenAll(t.app.fetch, ['127.0.0.1'], port, t.injectWebSocket);
}

export interface TerminalSocket {
  /** Every message received, in order. */
  messages: ServerMessage[];
  /** All output received so far, joined, without terminal control sequences (colours, modes) or CRs. */
  output(): string;
  send(msg: unknown): void;
  type(data: string): void;
  /** Waits until the output matches (or the socket closes: then throws with what it got). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/**
 * Opens the attempt's terminal as `who` (cookies) with `origin` (default: the app's own). Resolves once
 * the socket is open, or rejects with the HTTP status of a refused upgrade (`status` on the error).
 */
export function openTerminal(
  t: TestApp,
  attemptId: string,
  who: Browser | undefined,
  opts: { origin?: string | null; query?: string } = {},
): Promise<TerminalSocket> {
  const base = new URL(t.config.publicUrl);
  const headers: Record<string, string> = {};
  if (who?.cookies.size) headers.cookie = [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const origin = opts.origin === undefined ? base.origin : opts.origin;
  if (origin !== null) headers.origin = origin;
  const url = `ws://${base.host}/api/attempts/${attemptId}/terminal${opts.query ?? '?cols=80&rows=24'}`;
  const ws = new WebSocket(url, { headers });
  const messages: ServerMessage[] = [];
  const events = new EventEmitter();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerMessage);
    events.emit('message');
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      events.emit('message');
    }),
  );
  const output = () =>
    messages
      .filter((m): m is Extract<ServerMessage, { t: 'out' }> => m.t === 'out')
      .map((m) => m.d)
      .join('')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g, '');
  const socket: TerminalSocket = {
    messages,
    output,
    send: (msg) => ws.send(JSON.stringify(msg)),
    type: (d) => ws.send(JSON.stringify({ t: 'in', d })),
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('message', check);
          reject(new Error(`no ${re} in terminal output within ${timeoutMs} ms:\n${output()}`));
        }, timeoutMs);
        const check = () => {
          const text = output();
          if (re.test(text)) {
            clearTimeout(timer);
            events.off('message', check);
            resolve(text);
          } else if (ws.readyState === WebSocket.CLOSED) {
            clearTimeout(timer);
            events.off('message', check);
            reject(new Error(`socket closed before ${re}: ${JSON.stringify(messages)}`));
          }
        };
        events.on('message', check);
        check();
      });
    },
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => {
      const err = Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode });
      ws.terminate();
      reject(err);
    });
    ws.once('error', reject);
  });
}

/**
 * `inner` plus a fake shell: no process, it echoes every keystroke and answers a line with
 * `ran: <line>` (after printing n × "x" for `flood <n>`). `shells` lists what was opened (killed or not), for tests to look at.
 */
export function fakeShellDriver(inner: SandboxDriver) {
  const shells: Array<{ killed: boolean; size: { cols: number; rows: number } }> = [];
  const driver = Object.create(inner) as SandboxDriver & {
    shells: typeof shells;
    /** While set, opening a shell waits for it (a slow engine): for races with submit. */
    gate?: Promise<void>;
  };
  driver.shells = shells;
  driver.shell = async (_session, req: ShellRequest): Promise<RunningShell> => {
    await driver.gate;
    const me = { killed: false, size: { cols: req.cols, rows: req.rows } };
    shells.push(me);
    let end!: (r: { exitCode: number | null }) => void;
    const ended = new Promise<{ exitCode: number | null }>((resolve) => (end = resolve));
    let line = '';
    queueMicrotask(() => req.onData(Buffer.from('$ ')));
    return {
      write(data) {
        if (me.killed) return;
        req.onData(Buffer.from(data.replace(/\r/g, '\r\n')));
        line += data;
        const at = line.search(/[\r\n]/);
        if (at < 0) return;
        const cmd = line.slice(0, at);
        line = '';
        if (cmd === 'exit') {
          me.killed = true;
          return end({ exitCode: 0 });
        }
        const flood = /^flood (\d+)$/.exec(cmd);
        if (flood)
          for (let n = Number(flood[1]); n > 0; n -= 4096) req.onData(Buffer.alloc(Math.min(n, 4096), 'x'));
        req.onData(Buffer.from(`ran: ${cmd}\r\n$ `));
      },
      async resize(cols, rows) {
        me.size = { cols, rows };
      },
      pause() {},
      resume() {},
      async kill() {
        me.killed = true;
        end({ exitCode: 137 });
      },
      ended,
    };
  };
  return driver;
}
