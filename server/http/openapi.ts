/**
 * Completes every operation of the generated OpenAPI document: an operationId (from method and path,
 * unless the route names one), tags, and the security it needs — staffCookie, candidateCookie, either,
 * or none for the few public endpoints, plus bearerAuth with its scope where an API token may call it.
 * Public routes and token scopes come from the table the auth middleware enforces
 * (server/http/route-access.ts); candidate-facing routes are told apart here from the path, so clients
 * generated from the document know what to send. tests/infra/openapi-lint.test.ts lints the result.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { accessOf, routeKey } from './route-access.ts';

type Security = Array<Record<string, string[]>>;

const NONE: Security = [];
const STAFF: Security = [{ staffCookie: [] }];
const CANDIDATE: Security = [{ candidateCookie: [] }];
const EITHER: Security = [{ staffCookie: [] }, { candidateCookie: [] }];

/** Under an attempt but for staff only (review material). */
const STAFF_ONLY_IN_ATTEMPT = /^\/api\/attempts\/\{id\}\/(answer-key|starter|revisions|grades?)(\/|$)/;

/** The security an operation needs, from its method and path. */
export function securityFor(method: string, path: string): Security {
  const access = accessOf(routeKey(method, path));
  if (access === 'public') return NONE;
  const bearer: Security = access === 'session' ? [] : [{ bearerAuth: [access] }];
  if (/^\/api\/candidate(\/|$)/.test(path)) return CANDIDATE;
  if (STAFF_ONLY_IN_ATTEMPT.test(path)) return [...STAFF, ...bearer];
  if (/^\/api\/attempts\/\{id\}(\/|$)/.test(path)) return [...EITHER, ...bearer];
  return [...STAFF, ...bearer];
}

/** `GET /api/attempts/{id}/runs/{runId}` → `getAttemptsByIdRunsByRunId`. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .replace(/^\/api\//, '')
    .split('/')
    .filter(Boolean)
    .flatMap((seg) => {
      const param = /^\{(.+)\}$/.exec(seg);
      return param ? ['by', ...param[1]!.split(/[^A-Za-z0-9]+/)] : seg.split(/[^A-Za-z0-9]+/);
    })
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

/** Fills in operationId, tags and security on every registered route that lacks them. */
export function describeOperations(registry: OpenAPIRegistry): void {
  for (const def of registry.definitions) {
    if (def.type !== 'route') continue;
    const route = def.route as typeof def.route & {
      operationId?: string;
      security?: Security;
      tags?: string[];
    };
    route.operationId ??= operationIdFor(route.method, route.path);
    route.tags ??= [route.path.split('/')[2] ?? 'api'];
    route.security ??= securityFor(route.method, route.path);
  }
}
