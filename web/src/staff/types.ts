/**
 * Shapes of the staff API responses the reviewer and admin pages read. They are inferred from the
 * server's zod response schemas (server/http/api-types.ts); the import is type-only, so no server
 * code reaches the bundle, and a server schema change fails `tsc --noEmit` here.
 */
import { formatDateTime } from '../lib/time.ts';
export type {
  Agreement,
  AssessmentSummary,
  InvitationSummary,
  AnswerKeyComparison,
  ApiToken,
  ApiTokenList,
  CreatedApiToken,
  BulkResult,
  Linked,
  AgreementResult,
  Consolidated,
  Decision,
  FeedbackReport,
  Funnel,
  Grade,
  GradeHistory,
  Identity,
  Invitation,
  LlmCall,
  LlmView,
  Me,
  SignInOptions,
  PipelineBulkResult,
  PipelinePage,
  PipelineRow,
  QueueItem,
  ReviewLevels,
  ReviewPage,
  ReviewView,
  Role,
  Run,
  StaffUser,
  StaffAccount,
  Delivery,
  EmailStatus,
  TaskSummary,
  TaskVersion,
  TimelineEvent,
  EditLogView,
  VerifyResult,
} from '../../../server/http/api-types.ts';

export const RECOMMENDATIONS = ['strong no', 'no', 'yes', 'strong yes'] as const;

/** Date, time and time zone (web/src/lib/time.ts). */
export const fmtTime = (ms: number | null | undefined) => formatDateTime(ms);

/** Where a verify row belongs (server/tasks/verify.ts VerifyGroup). */
export type VerifyGroup = import('../../../server/http/api-types.ts').VerifyResult['checks'][number]['group'];
