/**
 * Invitations: how a candidate gets in without an account. Stops link guessing and database-leak
 * replay: the token is 256 random bits and only its sha256 is stored; the link is shown once.
 * Opening the link trades the token for a candidate session bound to this one invitation.
 */
export * from './invitations.ts';
export { bulkInvite, MAX_BULK_ROWS, MAX_BULK_CSV_CHARS, type BulkInput, type BulkResult } from './bulk.ts';
export { resendInvitation, extendInvitation } from './manage.ts';
export { taskFunnel, funnelStage, FUNNEL_STAGES, type FunnelStage, type Funnel } from './funnel.ts';
export { parseCsv } from './csv.ts';
export { startAssessment, selectTask, startCurrentTask, submitAssessment } from './assessment.ts';
