/**
 * The editor's autosave without the separate session and attempt lookups: `PUT
 * /api/attempts/{id}/file` from a candidate's own cookie session is tried here first, before
 * loadPrincipals, as one statement that authenticates and writes (server/workspace/autosave.ts).
 *
 * Stops this shortcut from widening who may write: it answers only when that statement proves
 * everything the normal route checks — a live candidate session found by the cookie's hash, whose
 * CSRF token the request echoes in `x-csrf-token` (so a cross-site form cannot use it), owning the
 * attempt, the attempt open and within deadline + grace, the file at the revision the editor saved
 * from, and the bounds. Everything else falls through unchanged to loadPrincipals and the files route
 * (files.ts), which decide and word the answer: a bearer token or a staff cookie on the request, a
 * body this shortcut does not know field for field, a new file, identical content, any refusal.
 * Request and response are the files route's own.
 *
 * The body is read straight from node's request stream (no web Request, stream or abort signal per
 * save: at 500 saves/s those cost more than the rest of the route) and left on `incoming.rawBody`,
 * where @hono/node-server builds the web Request from if the route below needs it. Registered before
 * the body limit (which would build that Request), it enforces the same bound by Content-Length.
 */
import type { IncomingMessage } from 'node:http';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { hashSecret } from '../../auth/index.ts';
import type { Autosave } from '../../workspace/index.ts';
import type { AppEnv } from '../deps.ts';
import { CANDIDATE_COOKIE, STAFF_COOKIE } from '../auth.ts';
import { decode } from './files.ts';

/** The files route's write body, field for field (strict: a field added there takes the normal path). */
const saveBody = z
  .object({
    path: z.string().max(1024),
    content: z.string(),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    baseRevision: z.number().int().min(0).optional(),
  })
  .strict();

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The JSON body: from node's stream when served by @hono/node-server (kept on `rawBody` for a later
 * reader), else (app.request in tests) from a copy of the web Request. Undefined for a body this shortcut leaves
 * to the normal path: no Content-Length, over `maxBytes`, chunked, or not JSON.
 */
async function readJson(c: Context<AppEnv>, maxBytes: number): Promise<unknown> {
  const declared = c.req.header('content-length');
  const length = Number(declared ?? Number.NaN);
  if (declared !== undefined && !(Number.isSafeInteger(length) && length <= maxBytes)) return undefined;
  const incoming = (c.env as { incoming?: IncomingMessage & { rawBody?: Buffer } } | undefined)?.incoming;
  // Elsewhere (app.request): a copy, so that the body limit and the route below still read the body.
  if (!incoming || incoming.readableEnded || incoming.rawBody)
    return c.req.raw
      .clone()
      .json()
      .catch(() => undefined);
  // From node's stream only with a length node enforces (a chunked body is the normal path's).
  if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return undefined;
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });
  incoming.rawBody = body;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Registers the shortcut; call before loadPrincipals and the body limit (app.ts). */
export function registerAutosave(app: OpenAPIHono<AppEnv>, autosave: Autosave, maxBodyBytes: number) {
  app.put('/api/attempts/:id/file', async (c, next) => {
    const cookie = getCookie(c, CANDIDATE_COOKIE);
    const csrfToken = c.req.header('x-csrf-token');
    if (!cookie || !csrfToken || c.req.header('authorization') !== undefined) return next();
    if (getCookie(c, STAFF_COOKIE) !== undefined) return next();
    if (!JSON_TYPE.test((c.req.header('content-type') ?? '').split(';')[0]!.trim())) return next();
    const body = saveBody.safeParse(await readJson(c, maxBodyBytes));
    if (!body.success) return next();
    let content: Buffer;
    try {
      content = decode(body.data.content, body.data.encoding);
    } catch {
      return next();
    }
    const file = await autosave.save({
      sessionHash: hashSecret(cookie),
      csrfToken,
      attemptId: c.req.param('id'),
      path: body.data.path,
      content,
      baseRevision: body.data.baseRevision,
    });
    return file ? c.json({ file, changed: true }, 200) : next();
  });
}
