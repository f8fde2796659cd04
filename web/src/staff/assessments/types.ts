/**
 * Staff-side assessment shapes, inferred from the server's zod schemas like every staff type
 * (GET /api/assessments, GET /api/invitations/{id}/summary, pipeline rows' `assessment`).
 */
import type { AssessmentSummary, InvitationSummary, PipelineRow } from '../types.ts';

export type AssessmentListItem = AssessmentSummary;
export type { InvitationSummary };
export type RowAssessment = PipelineRow['assessment'];

/** A pipeline row's assessment (null for a single-task invitation). */
export const rowAssessment = (r: PipelineRow): RowAssessment => r.assessment;
