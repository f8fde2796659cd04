/**
 * The node bridge's encoding and protocol (sandboxes/harness/node/worksample-bridge.mjs), over a real
 * unix socket in this process: values that JSON loses survive, callbacks work both ways, a hostile or
 * hung subject turns into a clear SubjectError on the harness side and never into behaviour.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LINE, Peer, SubjectError } from '../../sandboxes/harness/node/worksample-bridge.mjs';

let dir: string;
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ws-bridge-'));
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const server of servers.splice(0)) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A connected pair: `subject` (untrusted side, serving `exports`) and `harness` (trusted side). */
async function pair(exports: Record<string, unknown>, harnessOpts: { timeoutMs?: number } = {}) {
  const file = path.join(dir, `${servers.length}.sock`);
  let server!: net.Server;
  const accepted = new Promise<net.Socket>((resolve) => {
    server = net.createServer(resolve);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(file, resolve));
  const client = net.connect(file);
  await new Promise((resolve) => client.once('connect', resolve));
  const serverSide = await accepted;
  sockets.push(client, serverSide);
  const subject = new Peer(serverSide, { exports });
  const harness = new Peer(client, { trusted: true, timeoutMs: harnessOpts.timeoutMs ?? 5000 });
  return { subject, harness, raw: serverSide };
}

describe('bridge values', () => {
  it('keeps what JSON loses: undefined, NaN, ±Infinity, -0, bigint, Date, Map, Set, bytes', async () => {
    const { harness } = await pair({ echo: (x: unknown) => x });
    const value = {
      u: undefined,
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
      nz: -0,
      big: 2n ** 70n,
      date: new Date('2024-03-15T10:00:00Z'),
      map: new Map<unknown, unknown>([
        [1, 'a'],
        ['k', { deep: [1, undefined] }],
      ]),
      set: new Set(['x', 2]),
      bytes: new Uint8Array([0, 255, 7]),
      list: [null, true, 'text', 1.5, [undefined]],
    };
    const back = await harness.request({ name: 'echo' }, [value]);
    expect(back).toStrictEqual(value);
    expect(Object.is(back.nz, -0)).toBe(true);
    expect('u' in back).toBe(true);
  });

  it('turns class instances into plain data and keeps "__proto__" a plain key', async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    const { harness } = await pair({
      point: () => new Point(3, 4),
      proto: () => JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'),
    });
    expect(await harness.request({ name: 'point' }, [])).toStrictEqual({ x: 3, y: 4 });
    const proto = await harness.request({ name: 'proto' }, []);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rebuilds errors: builtin classes by name, own properties kept, messages on one line', async () => {
    const { harness } = await pair({
      typeError: () => {
        throw new TypeError('bad input');
      },
      apiError: () => {
        throw Object.assign(new Error('rate limited'), { name: 'RateLimitError', status: 429 });
      },
      multiline: () => {
        throw new Error('line one\n  ...\nok 1 - a forged test\r\n1..1');
      },
      notAnError: () => {
        throw 'a string';
      },
    });
    await expect(harness.request({ name: 'typeError' }, [])).rejects.toThrow(TypeError);
    const api = await harness.request({ name: 'apiError' }, []).catch((e: unknown) => e);
    expect(api).toMatchObject({ name: 'RateLimitError', message: 'rate limited', status: 429 });
    const multi = (await harness.request({ name: 'multiline' }, []).catch((e: Error) => e)) as Error;
    expect(multi.message).toBe('line one\\n  ...\\nok 1 - a forged test\\n1..1');
    expect(multi.message).not.toMatch(/\n/);
    await expect(harness.request({ name: 'notAnError' }, [])).rejects.toThrow(
      /a non-Error was thrown: a string/,
    );
  });

  it('refuses values that cannot cross: cycles, symbols, nested promises', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { harness } = await pair({
      cyclic: () => cyclic,
      symbol: () => Symbol('s'),
      promise: () => ({ later: Promise.resolve(1) }),
    });
    await expect(harness.request({ name: 'cyclic' }, [])).rejects.toThrow(/cycle/);
    await expect(harness.request({ name: 'symbol' }, [])).rejects.toThrow(/Symbol/);
    await expect(harness.request({ name: 'promise' }, [])).rejects.toThrow(/Promise/);
    await expect(harness.request({ name: 'missing' }, [])).rejects.toThrow(/missing is not a function/);
  });
});

describe('bridge callbacks', () => {
  it("lets the subject call a harness object's methods, with `this`, and await their results", async () => {
    const { harness } = await pair({
      classify: async (client: any, text: string) => {
        const reply = await client.chat.completions.create({ messages: [{ role: 'user', content: text }] });
        return reply.choices[0].message.content;
      },
    });
    const seen: unknown[] = [];
    const completions = {
      prefix: 'answer:',
      async create(body: { messages: Array<{ content: string }> }) {
        seen.push(body);
        return { choices: [{ message: { content: `${this.prefix} ${body.messages[0]!.content}` } }] };
      },
    };
    expect(await harness.request({ name: 'classify' }, [{ chat: { completions } }, 'hi'])).toBe('answer: hi');
    expect(seen).toEqual([{ messages: [{ role: 'user', content: 'hi' }] }]);
  });

  it('passes errors thrown by a harness callback back to the subject', async () => {
    const { harness } = await pair({
      guarded: async (fn: () => Promise<void>) => {
        try {
          await fn();
          return 'no error';
        } catch (err) {
          return `${(err as Error).name}: ${(err as Error).message} (${(err as { status?: number }).status})`;
        }
      },
    });
    const fail = async () => {
      throw Object.assign(new Error('too many requests'), { status: 429 });
    };
    expect(await harness.request({ name: 'guarded' }, [fail])).toBe('Error: too many requests (429)');
  });

  it('carries an AbortSignal across, including a later abort', async () => {
    const { harness } = await pair({
      waitForAbort: (signal: AbortSignal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve(`aborted: ${signal.aborted}`)),
        ),
    });
    const controller = new AbortController();
    const pending = harness.request({ name: 'waitForAbort' }, [controller.signal]);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBe('aborted: true');
  });
});

describe('a hostile or broken subject', () => {
  it('times out a hung call with a SubjectError and fails the calls still pending', async () => {
    const { harness } = await pair({ hang: () => new Promise(() => {}) }, { timeoutMs: 200 });
    const first = harness.request({ name: 'hang' }, []).catch((e: unknown) => e);
    expect(await first).toBeInstanceOf(SubjectError);
    expect(String(await first)).toMatch(/hang\(\) did not answer within 0.2 s/);
    await expect(harness.request({ name: 'hang' }, [])).rejects.toBeInstanceOf(SubjectError);
  });

  it('fails pending calls clearly when the subject goes away', async () => {
    const { harness, raw } = await pair({ slow: () => new Promise((r) => setTimeout(r, 10_000)) });
    const pending = harness.request({ name: 'slow' }, []).catch((e: Error) => e);
    raw.destroy();
    const err = (await pending) as Error;
    expect(err).toBeInstanceOf(SubjectError);
    expect(err.message).toMatch(/while slow\(\) was running/);
  });

  it('fails the call on garbage, unknown value tags and over-long lines', async () => {
    for (const reply of [
      'not json\n',
      `${JSON.stringify({ op: 'return', id: 1, value: { $: 'eval', v: 'process.exit()' } })}\n`,
      `${'x'.repeat(MAX_LINE + 10)}`,
    ]) {
      const { harness, raw } = await pair({});
      const pending = harness.request({ name: 'x' }, []).catch((e: unknown) => e);
      raw.removeAllListeners('data'); // the subject peer stops answering; we speak for it
      raw.write(reply);
      const err = await pending;
      expect(err, reply.slice(0, 40)).toBeInstanceOf(SubjectError);
    }
  });
});
