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

export interface Attempt {
  id: string;
  status: 'started' | 'submitted' | 'graded';
  startedAt: number;
  deadlineAt: number;
  submittedAt: number | null;
  submitReason: 'candidate' | 'deadline' | null;
  writable: boolean;
  serverNow: number;
}

export interface Budget {
  maxRequests: number;
  maxTotalTokens: number;
  maxConcurrent: number;
  requestsPerMinute: number;
}

export interface RubricCriterion {
  id: string;
  title: string;
  description?: string;
  weight?: number;
  levels: Record<string, string>;
}

export interface CandidateView {
  candidateName: string;
  task: {
    title: string;
    summary: string;
    kind: 'code' | 'critique' | 'written';
    timeLimitMinutes: number;
    llm: { enabled: boolean; models: string[]; budget?: Budget };
    rubric?: RubricCriterion[];
    statement?: string;
  };
  invitation: { expiresAt: number; status: string };
  attempt: Attempt | null;
  serverNow: number;
  csrfToken: string;
}

export interface Materials {
  kind: 'code' | 'critique' | 'written';
  title: string;
  statement: string;
  outputs: { path: string; content: string }[];
  categories: string[];
  questions: { id: string; prompt: string }[];
  visibleTests: string[];
}

export interface FileInfo {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  updatedAt: number;
}

export interface FileBody extends FileInfo {
  content: string;
  encoding: 'utf8' | 'base64';
}

export const fileUrl = (attemptId: string, path: string) =>
  `/api/attempts/${attemptId}/file?path=${encodeURIComponent(path)}`;
