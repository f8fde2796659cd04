/**
 * Upstream errors as the gateway's own. Stops: provider secrets reaching a candidate. Providers echo
 * (masked) keys, organisation ids and request details in error text (`Incorrect API key provided:
 * sk-proj-ABCD…WXYZ`), and that text used to be passed through to the candidate and the transcript.
 * Now no upstream text leaves the server: the candidate gets a message chosen here by status class,
 * plus the upstream's `param`/`code` only when they are plain identifiers; the original goes to the
 * server log only, with everything key-shaped scrubbed.
 */
import OpenAI from 'openai';

/** Key- and token-shaped strings: OpenAI-style keys (also masked: `sk-proj-ABCD****WXYZ`, `sk-...WXYZ`), bearer tokens, other providers' key prefixes, our own gateway keys. */
const SECRET_PATTERNS: RegExp[] = [
  /\b(?:sk|pk|rk)[-_](?:[\w*.…-]*[\w*…])?/gi,
  /\bBearer\s+\S+/gi,
  /\b(?:wsk|gsk|xai|pplx|hf|r8|AKIA|ghp|gho|github_pat|org|proj)[-_][\w*.…-]*[\w*…]/g,
  /\bAIza[\w-]{10,}/g,
  /\b(?:key|token)\s+(?:ending|ends)\s+(?:in|with)\s+\S+/gi,
  // Long opaque tokens (40+ base64-ish characters) are credentials more often than not.
  /[A-Za-z0-9+/_=-]{40,}/g,
];

/** Replaces every key-shaped fragment (and each exact `secrets` value) with `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.replaceAll(s, '[redacted]');
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}

/** What the candidate is told about an upstream failure, and what only the server log gets. */
export interface UpstreamFailure {
  status: 400 | 429 | 502;
  type: string;
  code: string;
  message: string;
  param?: string | null;
  retryAfter?: number;
  retryable: boolean;
  /** The upstream's status (undefined when it could not be reached). */
  upstreamStatus?: number;
  /**
   * The provider may have done (and billed) the work without us seeing its usage: a timeout, an
   * aborted request, a stream that broke off. The gateway then charges the call's worst case.
   */
  mayHaveBilled: boolean;
  /** The upstream's own error text, scrubbed: for the server log only, never for a response or row. */
  detail: string;
}

/** Thrown by upstream calls that fail (embeddings, a stream that breaks off): carries the mapped failure. */
export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
    this.name = 'UpstreamError';
  }
}

const IDENTIFIER = /^[A-Za-z][\w.[\]-]{0,63}$/;
const safeIdentifier = (v: unknown) =>
  typeof v === 'string' && IDENTIFIER.test(v) && scrubSecrets(v) === v ? v : null;

/** Maps any error from the upstream client to an UpstreamFailure (see the module header). */
export function mapUpstreamError(err: unknown, secrets: readonly string[]): UpstreamFailure {
  if (err instanceof UpstreamError) return err.failure;
  const raw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const detail = scrubSecrets(raw, secrets).slice(0, 2000);
  const status = err instanceof OpenAI.APIError ? err.status : undefined;
  if (
    err instanceof OpenAI.APIConnectionTimeoutError ||
    (err instanceof OpenAI.APIError && status === undefined)
  ) {
    // No HTTP answer: a refused connection, a timeout, or an error event inside a stream.
    const timeout = err instanceof OpenAI.APIConnectionTimeoutError;
    return {
      status: 502,
      type: 'upstream_error',
      code: timeout
        ? 'upstream_timeout'
        : err instanceof OpenAI.APIConnectionError
          ? 'upstream_unreachable'
          : 'upstream_error',
      message: timeout
        ? 'The upstream model provider did not answer in time.'
        : 'The upstream model provider failed while answering this request.',
      retryable: true,
      mayHaveBilled: !(err instanceof OpenAI.APIConnectionError) || timeout,
      detail,
    };
  }
  if (status === undefined) {
    return {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_unreachable',
      message: 'The upstream model provider could not be reached.',
      retryable: true,
      mayHaveBilled: false,
      detail,
    };
  }
  const apiErr = err as InstanceType<typeof OpenAI.APIError>;
  const upstreamCode = safeIdentifier(apiErr.code);
  if (status === 401 || status === 403) {
    // The candidate's gateway key was fine: the gateway's own credentials were refused. Nothing
    // about the provider account is worth telling the candidate, and retrying will not help.
    return {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_auth_failed',
      message:
        "The gateway's upstream rejected its credentials. This is not a problem with your key or your code; tell the person who invited you.",
      retryable: false,
      mayHaveBilled: false,
      upstreamStatus: status,
      detail,
    };
  }
  if (status === 429) {
    const quota = upstreamCode === 'insufficient_quota';
    const after = Number(apiErr.headers?.get?.('retry-after'));
    return {
      status: 429,
      type: 'requests',
      code: quota ? 'upstream_quota_exhausted' : 'upstream_rate_limited',
      message: quota
        ? "The upstream model provider's quota for this gateway is used up; tell the person who invited you."
        : 'The upstream model provider is rate-limiting the gateway. Try again shortly.',
      ...(!quota && Number.isFinite(after) && after >= 0
        ? { retryAfter: Math.min(600, Math.ceil(after)) }
        : {}),
      retryable: !quota,
      mayHaveBilled: false,
      upstreamStatus: status,
      detail,
    };
  }
  if (status === 400 || status === 413 || status === 422) {
    // Most likely the candidate's own request (a value out of range, too long a context). Say which
    // parameter and code when the upstream names them as plain identifiers; never its free text.
    const param = safeIdentifier(apiErr.param);
    const what = [param && `parameter: ${param}`, upstreamCode && `code: ${upstreamCode}`].filter(Boolean);
    return {
      status: 400,
      type: 'invalid_request_error',
      code: 'upstream_invalid_request',
      param,
      message: `The upstream model provider rejected this request as invalid${what.length ? ` (${what.join(', ')})` : ''}.`,
      retryable: false,
      mayHaveBilled: false,
      upstreamStatus: status,
      detail,
    };
  }
  // 404 (the task maps an alias to a model the provider does not serve), other 4xx, and 5xx.
  return {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_error',
    message: `The upstream model provider failed (status ${status}).`,
    retryable: status >= 500,
    mayHaveBilled: false,
    upstreamStatus: status,
    detail,
  };
}
