export type { StaffUser } from '../auth/index.ts';
export type { SessionsTable as SessionsTableRow } from '../db/index.ts';
