/**
 * The Terminal socket: `GET /api/attempts/{id}/terminal` upgraded to a WebSocket (server/terminal/).
 *
 * Stops cross-site WebSocket hijacking: browsers send cookies on a WebSocket upgrade and the upgrade
 * is a GET (no CSRF token), so a page on another origin could otherwise open the candidate's shell.
 * The upgrade is refused (403, no socket) unless `Origin` is exactly this deployment's public origin.
 * Then the same rule as every other write to an attempt (`attemptFor(…, 'write')`): only the candidate
 * who owns the attempt, while it is open — another candidate gets 404, staff 403, a submitted attempt
 * 409, a task with `terminal: false` 404. All of it is decided before the upgrade, so a refused
 * request never gets a socket.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { attemptFor } from '../../attempts/index.ts';
import { AppError } from '../../errors/index.ts';
import {
  CLOSE_FINAL,
  type Attachment,
  type ServerMessage,
  type TerminalService,
} from '../../terminal/index.ts';
import type { AppEnv } from '../deps.ts';
import { principals } from '../auth.ts';
import { errorResponses } from '../errors.ts';

/** Largest message a browser may send (a paste); ws refuses bigger frames (close 1009). */
export const MAX_TERMINAL_MESSAGE = 64 * 1024;

const clientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('in'), d: z.string().max(MAX_TERMINAL_MESSAGE) }),
  z.object({
    t: z.literal('resize'),
    cols: z.number().int().min(2).max(500),
    rows: z.number().int().min(1).max(200),
  }),
]);
type ClientMessage = z.infer<typeof clientMessage>;

const sizeQuery = z.object({
  cols: z.coerce.number().int().min(2).max(500).catch(80),
  rows: z.coerce.number().int().min(1).max(200).catch(24),
});

/** Whether the request comes from a page of this deployment (exact origin match). */
export function sameOrigin(origin: string | undefined, publicUrl: string): boolean {
  if (!origin) return false;
  try {
    return new URL(origin).origin === new URL(publicUrl).origin && origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export function registerTerminal(
  app: OpenAPIHono<AppEnv>,
  terminal: TerminalService,
  upgradeWebSocket: UpgradeWebSocket<unknown>,
) {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/attempts/{id}/terminal',
    tags: ['runs'],
    summary:
      "The attempt's terminal as a WebSocket (owner candidate, same-origin only). Client frames: {t:'in',d} keystrokes, {t:'resize',cols,rows}; server frames: {t:'ready'}, {t:'out',d}, {t:'queued',position}, {t:'ended',reason,final}",
    request: {
      params: z.object({ id: z.string().max(64) }),
      query: z.object({
        cols: z
          .number()
          .int()
          .min(2)
          .max(500)
          .optional()
          .openapi({ description: 'terminal width (default 80)' }),
        rows: z
          .number()
          .int()
          .min(1)
          .max(200)
          .optional()
          .openapi({ description: 'terminal height (default 24)' }),
      }),
    },
    responses: {
      101: { description: 'switching to the WebSocket protocol' },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  app.get('/api/attempts/:id/terminal', async (c, next) => {
    if (!sameOrigin(c.req.header('origin'), c.get('ctx').config.publicUrl))
      throw new AppError('forbidden', 'the terminal opens only from the workspace page of this site');
    const id = c.req.param('id').slice(0, 64);
    const a = await attemptFor(c.get('ctx'), principals(c), id, 'write');
    await terminal.check(a.id);
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      throw new AppError('bad_request', 'the terminal speaks WebSocket: send an Upgrade request');
    const size = sizeQuery.parse({ cols: c.req.query('cols'), rows: c.req.query('rows') });
    return upgradeWebSocket(() => socketEvents(terminal, a.id, size))(c, next);
  });
}

/** The socket's life: attach on open, keystrokes and resizes in order, detach on close. */
function socketEvents(terminal: TerminalService, attemptId: string, size: { cols: number; rows: number }) {
  let attachment: Attachment | undefined;
  let closed = false;
  const early: ClientMessage[] = [];
  const apply = (a: Attachment, m: ClientMessage) => (m.t === 'in' ? a.input(m.d) : a.resize(m.cols, m.rows));
  return {
    onOpen(_e: Event, ws: WSContext<unknown>) {
      const raw = ws.raw as { bufferedAmount?: number } | undefined;
      const client = {
        send: (msg: ServerMessage) => {
          if (ws.readyState === 1) ws.send(JSON.stringify(msg));
        },
        close: (code: number, reason: string) => ws.close(code, reason),
        buffered: () => raw?.bufferedAmount ?? 0,
      };
      terminal.attach(attemptId, client, size).then(
        (a) => {
          if (closed) return a.detach();
          attachment = a;
          for (const m of early.splice(0)) apply(a, m);
        },
        (err: unknown) => {
          const reason = err instanceof AppError ? err.message : 'The terminal could not start.';
          client.send({ t: 'ended', reason, final: true });
          ws.close(CLOSE_FINAL, 'terminal unavailable');
        },
      );
    },
    onMessage(e: MessageEvent, ws: WSContext<unknown>) {
      let m: ClientMessage;
      try {
        m = clientMessage.parse(JSON.parse(String(e.data)));
      } catch {
        return ws.close(1008, 'unexpected message');
      }
      if (attachment) apply(attachment, m);
      else if (early.length < 100) early.push(m);
    },
    onClose() {
      closed = true;
      attachment?.detach();
    },
  };
}
