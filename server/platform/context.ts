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
}

export interface AttemptHooks {
  attemptStarted(attemptId: string): void;
  attemptSubmitted(attemptId: string): void;
}
