/** Injected sources of time and identity, so tests control both. */
import { randomBytes, randomUUID } from 'node:crypto';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1, 9, 0, 0)) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
  set(ms: number) {
    this.t = ms;
  }
}

export interface IdGenerator {
  /** A unique id for a row (prefix shows the entity in logs and URLs). */
  id(prefix: string): string;
  /** A high-entropy secret (invitation tokens, session ids): 32 random bytes, base64url. */
  secret(): string;
}

export const randomIds: IdGenerator = {
  id: (prefix) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
  secret: () => randomBytes(32).toString('base64url'),
};

/** Deterministic ids for unit tests. Secrets stay random-looking but reproducible. */
export function sequentialIds(): IdGenerator {
  let n = 0;
  return {
    id: (prefix) => `${prefix}_${String(++n).padStart(6, '0')}`,
    secret: () => `secret${String(++n).padStart(6, '0')}`.padEnd(43, 'x'),
  };
}

export type { ServiceContext, AttemptHooks, MailQueue, QueuedMail } from './context.ts';
export { freeLoopbackPort } from './net.ts';
export { AddressListeners } from './listeners.ts';
export { DuePump, JOB_LEASE, type DuePumpOptions } from './pump.ts';
