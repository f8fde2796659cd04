/** Everything createApp needs, injected. */
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger/index.ts';
import type { Clock, IdGenerator, ServiceContext } from '../platform/index.ts';
import type { SandboxManager } from '../sandbox/manager.ts';
import type { LlmUpstream } from '../llm/index.ts';
import type { LoginThrottle } from '../auth/rate-limit.ts';
import type { StaffUser, SessionsTableRow } from './types.ts';

export interface AppDeps {
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  /** Sandbox sessions over the configured driver. */
  sandbox: SandboxManager;
  llm: LlmUpstream;
  logger: Logger;
  config: Config;
  /** Sign-in throttling; defaults to an in-memory throttle from config.login. */
  loginThrottle?: LoginThrottle;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    ctx: ServiceContext;
    staff: { user: StaffUser; session: SessionsTableRow; cookie: string } | undefined;
    candidate: { invitationId: string; session: SessionsTableRow; cookie: string } | undefined;
  };
}
