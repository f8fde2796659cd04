/** What every service verb receives: injected dependencies, never globals. */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger/index.ts';
import type { Clock, IdGenerator } from './index.ts';

export interface ServiceContext {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  config: Config;
  logger: Logger;
  /** Told after an attempt starts or is submitted (sandboxes, grading). Never throws into the caller. */
  hooks?: AttemptHooks;
  /** Outgoing email (server/email/): queued in the caller's transaction. Absent in bare contexts. */
  mail?: MailQueue;
}

/** One email to queue: a template kind, its values, and what it is about (the delivery logs). */
export interface QueuedMail {
  kind: string;
  to: string;
  values: Record<string, string>;
  invitationId?: string | null;
  userId?: string | null;
  /** At most one message per key, ever (reminder:<invitation>, submitted:<attempt>). */
  dedupeKey?: string | null;
}

export interface MailQueue {
  /** False without SMTP_URL: nothing is queued and links must be copied by hand. */
  readonly enabled: boolean;
  /** Queues the message in `db` (pass the caller's transaction). False: disabled or a duplicate key. */
  enqueue(db: Db, message: QueuedMail): Promise<boolean>;
  /** Looks for due messages now (after the caller's transaction committed). */
  kick(): void;
}

export interface AttemptHooks {
  attemptStarted(attemptId: string): void;
  attemptSubmitted(attemptId: string): void;
}
