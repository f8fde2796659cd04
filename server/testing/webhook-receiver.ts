/**
 * A webhook receiver on 127.0.0.1 for tests: checks every request's signature with the verifier
 * receivers are told to use (server/webhooks verifyWebhook), records what came, and answers as the
 * test's plan says — a status, a hang past the sender's timeout, or success — to inject failures.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../webhooks/index.ts';

export interface Received {
  /** 1-based, across everything this receiver got. */
  n: number;
  at: number;
  method: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: any;
  /** The documented verifier's result with the receiver's current secret. */
  verified: boolean;
  answered: number | 'hang';
}

/** What to answer request n (1-based) with: a status code, or 'hang' (never answer). */
export type Plan = (r: { n: number; body: any; headers: IncomingMessage['headers'] }) => number | 'hang';

export async function startReceiver(opts: { secret?: string; plan?: Plan; now?: () => number } = {}) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let secret = opts.secret ?? '';
  let plan: Plan = opts.plan ?? (() => 200);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const n = received.length + 1;
      const answer = plan({ n, body, headers: req.headers });
      const header = req.headers['x-worksample-signature'];
      received.push({
        n,
        at: Date.now(),
        method: req.method ?? '',
        headers: req.headers,
        raw,
        body,
        verified: verifyWebhook({
          secret,
          header: typeof header === 'string' ? header : undefined,
          body: raw,
          nowMs: opts.now?.(),
        }).ok,
        answered: answer,
      });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer >= 200 && answer < 300 ? 'ok' : `failure ${answer} injected by the test`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setSecret(s: string) {
      secret = s;
    },
    setPlan(p: Plan) {
      plan = p;
    },
    /** Requests of one event type. */
    of(type: string) {
      return received.filter((r) => r.body?.type === type);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
