/**
 * Who may read /metrics. Attack stopped: operational data (routes, volumes, queue lengths, process
 * details) read by anyone who can reach the server — including through the reverse proxy, which
 * connects from loopback. Rules: with METRICS_TOKEN set, a matching `Authorization: Bearer` is
 * required from anywhere; without it, only direct loopback requests are answered (a request that
 * carries proxy headers came from outside, even though its socket is local). Everyone else gets 404,
 * as if there were nothing there.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'];
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when this request may read the metrics. `remote` is the socket's peer address. */
export function metricsAccess(c: Context, opts: { token?: string; remote?: string }): boolean {
  if (opts.token) {
    const m = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
    return Boolean(m) && timingSafeEqual(digest(m![1]!), digest(opts.token));
  }
  if (PROXY_HEADERS.some((h) => c.req.header(h) !== undefined)) return false;
  return LOOPBACK.test(opts.remote ?? '');
}

/**
 * The same rule for a request as it arrived: the peer address comes from the Node socket. Also
 * decides who reads the operational detail of GET /api/ready besides signed-in staff.
 */
export function operatorRequest(c: Context, token: string | undefined): boolean {
  let remote: string | undefined;
  try {
    remote = getConnInfo(c).remote.address;
  } catch {
    remote = undefined; // not a Node socket (app.request() in tests): not loopback
  }
  return metricsAccess(c, { token, remote });
}
