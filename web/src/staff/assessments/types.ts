/**
 * Staff-side assessment shapes (GET /api/assessments, GET /api/invitations/{id}/summary, pipeline rows'
 * `assessment`). TODO(assess-server merge): replace with the types server/http/api-types.ts exports.
 */
import type { PipelineRow } from '../types.ts';

export interface AssessmentListItem {
  slug: string;
  version: number;
  assessmentVersionId: string;
  title: string;
  clock: 'overall' | 'per-task';
  timeLimitMinutes: number | null;
  tasks: Array<{ position: number; taskSlug: string; title: string; weight: number }>;
}

export interface InvitationSummary {
  candidateName: string;
  candidateEmail: string;
  assessment: { title: string; slug: string; version: number } | null;
  tasks: Array<{
    position: number;
    title: string;
    weight: number;
    attemptId: string | null;
    status: string;
    autoScore: { passed: number; total: number } | null;
    reviewScore: number | null;
    reviews: { submitted: number; assigned: number };
  }>;
  overall: { weightedScore: number | null };
  decision: { decision: 'advance' | 'reject' | 'hold'; reason: string; decidedAt: number | string } | null;
}

export type RowAssessment = { title: string; position: number; count: number } | null;

/** A pipeline row's assessment (absent before the server has the field). */
export const rowAssessment = (r: PipelineRow): RowAssessment =>
  (r as PipelineRow & { assessment?: RowAssessment }).assessment ?? null;
