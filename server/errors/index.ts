/**
 * One error type for expected failures, with a closed set of codes and one code→status map.
 * `app.onError` turns it into `{ error: { code, message, requestId } }`.
 */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  insufficient_scope: 403,
  not_found: 404,
  conflict: 409,
  deadline_passed: 409,
  stale_revision: 409,
  attempt_submitted: 409,
  open_elsewhere: 409,
  idempotency_key_reused: 409,
  idempotency_in_progress: 409,
  invitation_expired: 410,
  invitation_revoked: 410,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): (typeof errorStatus)[ErrorCode] {
    return errorStatus[this.code];
  }
}
