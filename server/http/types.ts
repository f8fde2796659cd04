export type { StaffUser } from '../auth/sessions.ts';
export type { SessionsTable as SessionsTableRow } from '../db/schema.ts';
