/** Fetch wrapper for the worksample API: JSON in and out, the CSRF header on mutations, one error type. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Thrown when the request never reached the server (offline, server down). */
export class NetworkError extends Error {}

let csrf = '';
export function setCsrf(token: string) {
  csrf = token;
}
/** For requests sent outside `api` (keepalive sends as the page hides). */
export const csrfToken = () => csrf;

export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : String(e));
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as
    (T & { error?: { code: string; message: string; details?: Record<string, unknown> } }) | null;
  if (!res.ok) {
    const err = data?.error;
    throw new ApiError(
      res.status,
      err?.code ?? 'http_' + res.status,
      err?.message ?? res.statusText,
      err?.details,
    );
  }
  return data as T;
}

/** Response shapes, inferred from the server's zod schemas (type-only: erased from the bundle). */
export type {
  Attempt,
  Budget,
  CandidateAssessment,
  CandidateView,
  FileBody,
  FileInfo,
  LlmView,
  Materials,
  RubricCriterion,
  Run,
} from '../../../server/http/api-types.ts';

export const fileUrl = (attemptId: string, path: string) =>
  `/api/attempts/${attemptId}/file?path=${encodeURIComponent(path)}`;
