/**
 * One HTTP try of a webhook delivery: POST the frozen body with its signature, within a timeout, to a
 * destination the SSRF guard allows (./ssrf.ts), without following redirects. 2xx is success; any
 * other answer, a timeout or a network error is a failed try. Only a short excerpt of the answer is
 * read and kept (the delivery log), so a receiver cannot fill memory or the database.
 */
import http from 'node:http';
import https from 'node:https';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './signature.ts';
import { guardedLookup, literalAddressProblem, urlProblem } from './ssrf.ts';

/** Bytes of the response body kept for the log. */
export const EXCERPT_BYTES = 1024;

export interface TryRequest {
  url: string;
  /** POST for webhooks; PATCH for Greenhouse callbacks. */
  method?: 'POST' | 'PATCH';
  body: string;
  eventType: string;
  deliveryId: string;
  signature: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the try (shutdown). */
  signal?: AbortSignal;
}

export interface TryOutcome {
  ok: boolean;
  status: number | null;
  durationMs: number;
  excerpt: string;
  error: string | null;
}

/** Sends one try; never throws. */
export function sendOnce(req: TryRequest, now: () => number = () => performance.now()): Promise<TryOutcome> {
  const started = now();
  const done = (o: Omit<TryOutcome, 'durationMs'>): TryOutcome => ({
    ...o,
    durationMs: Math.round(now() - started),
  });
  const problem = urlProblem(req.url);
  if (problem) return Promise.resolve(done({ ok: false, status: null, excerpt: '', error: problem }));
  const url = new URL(req.url);
  const literal = literalAddressProblem(url.hostname, req.allowPrivate);
  if (literal) return Promise.resolve(done({ ok: false, status: null, excerpt: '', error: literal }));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: Omit<TryOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(o));
    };
    const r = mod.request(
      url,
      {
        method: req.method ?? 'POST',
        lookup: guardedLookup(req.allowPrivate),
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          'user-agent': 'worksample-webhooks/1',
          [SIGNATURE_HEADER]: req.signature,
          [EVENT_HEADER]: req.eventType,
          [DELIVERY_HEADER]: req.deliveryId,
        },
        signal: req.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const status = res.statusCode ?? null;
        const ok = status !== null && status >= 200 && status < 300;
        const end = () => {
          const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
          finish({ ok, status, excerpt, error: ok ? null : `the receiver answered ${status}` });
          res.destroy();
        };
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size >= EXCERPT_BYTES) end();
        });
        res.on('end', end);
        res.on('error', end);
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, excerpt: '', error: `no answer within ${req.timeoutMs} ms` });
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (err) =>
      finish({
        ok: false,
        status: null,
        excerpt: '',
        error: req.signal?.aborted ? 'cut off by shutdown' : err.message || String(err),
      }),
    );
    r.end(req.body);
  });
}
