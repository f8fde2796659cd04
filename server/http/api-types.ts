/**
 * The shapes of the API's responses, inferred from the zod schemas the routes declare (and so from
 * the OpenAPI document). The web app imports these with `import type` only, so nothing of the server
 * reaches the browser bundle, and a schema change makes `tsc --noEmit` fail wherever the web code
 * reads a field that no longer exists or changed type (web/src/lib/api-types.check.ts proves it).
 */
import type { z } from '@hono/zod-openapi';
import type { meSchema, userSchema } from './routes/auth.ts';
import type { optionsSchema } from './routes/sso.ts';
import type {
  attemptSchema,
  budgetSchema,
  candidateAssessmentSchema,
  candidateSchema,
} from './routes/candidate.ts';
import type { assessmentSummarySchema } from './routes/assessments.ts';
import type { invitationSummarySchema } from './routes/invitation-summary.ts';
import type { eventSchema } from './routes/attempts.ts';
import type { fileInfoSchema, fileSchema } from './routes/files.ts';
import type { materialsSchema } from './routes/materials.ts';
import type { runSchema } from './routes/runs.ts';
import type { gradeHistorySchema, gradeSchema } from './schemas/grades.ts';
import type { llmCallSchema, llmViewSchema } from './routes/llm.ts';
import type { taskSummarySchema, taskVersionSchema, verifyResultSchema } from './routes/tasks.ts';
import type { bulkResultSchema, funnelSchema, invitationSchema, linkedSchema } from './routes/invitations.ts';
import type {
  agreementResultSchema,
  agreementSchema,
  consolidatedSchema,
  decisionSchema,
  feedbackSchema,
  identitySchema,
  queueItemSchema,
  reviewLevelsSchema,
  reviewPageSchema,
  reviewViewSchema,
  rubricCriterionSchema,
} from './schemas/reviews.ts';
import type { errorBodySchema } from './errors.ts';
import type { comparisonSchema } from './routes/answer-key.ts';
import type { apiTokenSchema, createdTokenSchema, tokenListSchema } from './routes/tokens.ts';
import type { pipelineBulkResultSchema, pipelinePageSchema, pipelineRowSchema } from './routes/pipeline.ts';
import type { accountSchema } from './routes/users.ts';
import type { deliverySchema, emailStatusSchema } from './routes/email.ts';

type Out<S extends z.ZodType> = z.output<S>;

// Candidate side
export type Attempt = Out<typeof attemptSchema>;
export type Budget = Out<typeof budgetSchema>;
export type CandidateView = Out<typeof candidateSchema>;
export type CandidateAssessment = Out<typeof candidateAssessmentSchema>;
export type Materials = Out<typeof materialsSchema>;
export type FileInfo = Out<typeof fileInfoSchema>;
export type FileBody = Out<typeof fileSchema>;
export type RubricCriterion = Out<typeof rubricCriterionSchema>;

// Staff side
export type StaffUser = Out<typeof userSchema>;
export type Role = StaffUser['role'];
export type Me = Out<typeof meSchema>;
export type SignInOptions = Out<typeof optionsSchema>;
export type StaffAccount = Out<typeof accountSchema>;
export type Delivery = Out<typeof deliverySchema>;
export type EmailStatus = Out<typeof emailStatusSchema>;
export type QueueItem = Out<typeof queueItemSchema>;
export type ReviewLevels = Out<typeof reviewLevelsSchema>;
export type ReviewView = Out<typeof reviewViewSchema>;
export type ReviewPage = Out<typeof reviewPageSchema>;
export type Consolidated = Out<typeof consolidatedSchema>;
export type Decision = Out<typeof decisionSchema>;
export type Identity = Out<typeof identitySchema>;
export type FeedbackReport = Out<typeof feedbackSchema>;
export type TimelineEvent = Out<typeof eventSchema>;
export type Run = Out<typeof runSchema>;
export type Grade = Out<typeof gradeSchema>;
export type GradeHistory = Out<typeof gradeHistorySchema>;
export type LlmCall = Out<typeof llmCallSchema>;
export type LlmView = Out<typeof llmViewSchema>;
export type TaskSummary = Out<typeof taskSummarySchema>;
export type TaskVersion = Out<typeof taskVersionSchema>;
export type VerifyResult = Out<typeof verifyResultSchema>;
export type AgreementResult = Out<typeof agreementResultSchema>;
export type Agreement = Out<typeof agreementSchema>;
export type Funnel = Out<typeof funnelSchema>;
export type Invitation = Out<typeof invitationSchema>;
export type AssessmentSummary = Out<typeof assessmentSummarySchema>;
export type InvitationSummary = Out<typeof invitationSummarySchema>;
export type Linked = Out<typeof linkedSchema>;
export type BulkResult = Out<typeof bulkResultSchema>;
export type AnswerKeyComparison = Out<typeof comparisonSchema>;
export type ApiToken = Out<typeof apiTokenSchema>;
export type ApiTokenList = Out<typeof tokenListSchema>;
export type CreatedApiToken = Out<typeof createdTokenSchema>;

/** The one error body every route answers with (server/http/errors.ts). */
export type ErrorBody = Out<typeof errorBodySchema>;

// Pipeline (admin)
export type PipelineRow = Out<typeof pipelineRowSchema>;
export type PipelinePage = Out<typeof pipelinePageSchema>;
export type PipelineBulkResult = Out<typeof pipelineBulkResultSchema>;
