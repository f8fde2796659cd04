/**
 * One log line per request. Stops invitation tokens leaking into logs: a token is a credential (it
 * opens the candidate's attempt), and logs travel further than the database (aggregators, support
 * tickets). The path is normalised first (percent-decoding, repeated slashes, case), then every
 * segment after an `i` segment and every token-shaped segment anywhere is replaced, so `//i/<t>`,
 * `/i//<t>`, `/I/<t>`, `/%69/<t>` and `/i/%2F<t>` are all logged as `/i/[token]`.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger/index.ts';
import type { AppEnv } from './deps.ts';

/** A segment that could be a secret: 20+ characters of base64url (tokens are 43). */
const TOKEN_SHAPED = /^[A-Za-z0-9_-]{20,}$/;
/** Row ids (att_ + 20 hex, see platform randomIds) are not secrets and stay readable; a token never has this form. */
const PUBLIC_ID = /^[a-z]{2,5}_[0-9a-f]{20}$/;

function decodeFully(s: string): string {
  // Up to a few rounds: %252F decodes to %2F, then to /.
  for (let i = 0; i < 4; i++) {
    let next: string;
    try {
      next = decodeURIComponent(s);
    } catch {
      return s;
    }
    if (next === s) return s;
    s = next;
  }
  return s;
}

/** The path as it is safe to log: normalised, with invitation tokens replaced by `[token]`. */
export const redactPath = (path: string): string => {
  const segments = decodeFully(path)
    .split(/[/\\]+/)
    .filter(Boolean);
  const out: string[] = [];
  let afterI = false;
  for (const s of segments) {
    if (afterI || (TOKEN_SHAPED.test(s) && !PUBLIC_ID.test(s))) {
      if (out.at(-1) !== '[token]') out.push('[token]');
      continue;
    }
    out.push(s);
    if (s.trim().toLowerCase() === 'i') afterI = true;
  }
  return `/${out.join('/')}`;
};

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: redactPath(c.req.path),
        status: c.res.status,
        ms: Math.round(performance.now() - start),
      },
      'request',
    );
  };
}
