/**
 * Which Docker engine errors mean "try again later" rather than "this cannot work": exhausted
 * address pools, an engine that timed out or dropped the connection while busy, a kernel briefly out
 * of something. Those become ResourceShortage (the job waits in the queue and retries); anything
 * else (no such image, a bad option) stays an error, so a real fault is not retried for ever.
 */
import { ResourceShortage } from '../types.ts';

interface EngineError {
  message?: string;
  statusCode?: number;
  code?: string;
  syscall?: string;
  json?: { message?: string };
}

const ADDRESSES =
  /non-overlapping IPv4 address pool|address pools have been fully subnetted|no available network|pool overlaps|overlapping/i;
const BUSY =
  /timeout|timed out|deadline exceeded|temporarily unavailable|try again|too many (open files|requests)|cannot allocate memory|device or resource busy|is being removed|already in progress|connection reset|socket hang up|broken pipe/i;
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAGAIN', 'ECONNREFUSED', 'EMFILE']);

/** The error as a ResourceShortage when it is transient, else undefined. */
export function asShortage(err: unknown): ResourceShortage | undefined {
  if (err instanceof ResourceShortage) return err;
  const e = (err ?? {}) as EngineError;
  const text = `${e.json?.message ?? ''} ${e.message ?? ''}`;
  if (ADDRESSES.test(text))
    return new ResourceShortage('addresses', 'no address range is free for a sandbox network', {
      cause: err,
    });
  const engineSide = e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 429;
  if ((e.code && NETWORK_CODES.has(e.code)) || (engineSide && BUSY.test(text)))
    return new ResourceShortage('engine', 'the Docker engine is busy', { cause: err });
  return undefined;
}
