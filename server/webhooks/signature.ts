/**
 * Webhook signatures. Stops forged and replayed webhooks: a receiver that checks
 * `X-Worksample-Signature` knows the body came from this server (HMAC-SHA256 with the endpoint's
 * secret over "<t>.<raw body>") and was signed within the replay window (5 minutes by default), so a
 * captured request cannot be sent again later, and a changed body or timestamp fails the check.
 * Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>]` (Stripe-style; a second v1 while a rotated secret
 * is still honoured). `verifyWebhook` is the verifier docs/webhooks.md shows receivers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Worksample-Signature';
export const EVENT_HEADER = 'X-Worksample-Event';
export const DELIVERY_HEADER = 'X-Worksample-Delivery';
/** How old a signature may be when it is checked (and how far in the future), seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The hex HMAC-SHA256 of "<t>.<body>" with `secret`. */
export function signatureOf(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

/** The `X-Worksample-Signature` value for a body sent at `nowMs`, signed with every given secret. */
export function signatureHeader(secrets: string[], body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return [`t=${t}`, ...secrets.map((s) => `v1=${signatureOf(s, t, body)}`)].join(',');
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a webhook request: `header` is X-Worksample-Signature, `body` the raw request body exactly as
 * received (before any JSON parsing). Valid when one v1 signature matches and t is within
 * `toleranceSeconds` of now. Same code as the verifier in docs/webhooks.md.
 */
export function verifyWebhook({
  secret,
  header,
  body,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  nowMs = Date.now(),
}: {
  secret: string;
  header: string | null | undefined;
  body: string | Buffer;
  toleranceSeconds?: number;
  nowMs?: number;
}): VerifyResult {
  if (!header) return { ok: false, reason: 'no signature header' };
  let t = NaN;
  const given: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) given.push(v);
  }
  if (!Number.isFinite(t) || !given.length) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(Math.floor(nowMs / 1000) - t) > toleranceSeconds)
    return { ok: false, reason: 'timestamp outside the replay window' };
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const expected = createHmac('sha256', secret).update(`${t}.${text}`).digest();
  const match = given.some((g) => timingSafeEqual(Buffer.from(g, 'hex'), expected));
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'signature does not match' };
}
