/** The Hono environment every route sees: the request's id, service context and principals. */
import type { ServiceContext } from '../platform/index.ts';
import type { StaffUser, SessionsTableRow } from './types.ts';
import type { ApiTokenActor } from '../api-tokens/index.ts';

export interface AppEnv {
  Variables: {
    requestId: string;
    ctx: ServiceContext;
    staff: { user: StaffUser; session: SessionsTableRow; cookie: string } | undefined;
    candidate: { invitationId: string; session: SessionsTableRow; cookie: string } | undefined;
    /** A verified API token whose scopes allow the answering route (server/http/auth.ts). */
    apiToken: ApiTokenActor | undefined;
  };
}
