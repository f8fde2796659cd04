/**
 * Which grading failures are worth another try. An engine error (the engine does not answer, times
 * out, has no address pool left, a container or network name conflicts, a container vanished) says
 * nothing about the submission and usually passes; anything else (a task without a grade command, a
 * bug) would fail the same way again. A candidate's failing tests are a verdict, never an error here.
 */
import { AppError } from '../errors/index.ts';

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EAGAIN',
  'EBUSY',
]);

const TRANSIENT_MESSAGES = [
  /non-overlapping IPv4 address pool/i,
  /address pools? .*(exhausted|full)/i,
  /no available (ip|address)/i,
  /timed? ?out|timeout/i,
  /socket hang up/i,
  /is not running/i,
  /no such (container|network|exec)/i,
  /conflict/i,
  /is already in use/i,
  /engine does not answer|cannot connect to the docker daemon/i,
];

interface EngineLike {
  statusCode?: number;
  code?: string;
  syscall?: string;
  transient?: boolean;
  message?: string;
}

/** True when the failure came from the sandbox engine and another try may well succeed. */
export function isTransient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (err instanceof AppError) return err.code === 'rate_limited' || err.code === 'unavailable';
  const e = err as EngineLike;
  if (e.transient === true) return true;
  // dockerode: the engine answered with an HTTP status. 5xx: its own failure; 409: a name or state
  // conflict (a container being removed, a network still in use); 404: a container or network vanished.
  const s = e.statusCode;
  if (typeof s === 'number' && (s >= 500 || s === 409 || s === 404 || s === 429)) return true;
  // The socket: ENOENT only when connecting (the engine's socket is gone), not a missing file.
  if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  // Some engine errors come as a 400 or as plain text (address pools exhausted, say).
  const message = String(e.message ?? '');
  return TRANSIENT_MESSAGES.some((re) => re.test(message));
}

/** One line for staff: what went wrong, without a stack. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line || 'unknown error';
}
