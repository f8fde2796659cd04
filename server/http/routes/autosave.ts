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
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
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

/** Registers the shortcut; call before loadPrincipals (app.ts). */
export function registerAutosave(app: OpenAPIHono<AppEnv>, autosave: Autosave) {
  app.put('/api/attempts/:id/file', async (c, next) => {
    const cookie = getCookie(c, CANDIDATE_COOKIE);
    const csrfToken = c.req.header('x-csrf-token');
    if (!cookie || !csrfToken || c.req.header('authorization') !== undefined) return next();
    if (getCookie(c, STAFF_COOKIE) !== undefined) return next();
    if (!JSON_TYPE.test((c.req.header('content-type') ?? '').split(';')[0]!.trim())) return next();
    // Parsed once: the files route's validator reads the same cached body if this falls through.
    const body = saveBody.safeParse(await c.req.json().catch(() => undefined));
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
