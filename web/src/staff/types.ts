/** Shapes of the staff API responses the reviewer and admin pages read (see GET /api/openapi.json). */
import type { RubricCriterion } from '../lib/api.ts';

export type Role = 'admin' | 'author' | 'reviewer';
export interface Me {
  user: { id: string; email: string; name: string; role: Role };
  csrfToken: string;
}

export interface QueueItem {
  attemptId: string;
  codeName: string;
  task: { slug: string; title: string; version: number };
  submittedAt: number | null;
  assignedAt: number;
  dueAt: number;
  status: 'to do' | 'draft' | 'submitted';
}

export interface ReviewLevels {
  [criterionId: string]: { level: number; evidence: string; shareable?: boolean };
}

export interface ReviewView {
  reviewer: { id: string; name: string };
  status: 'draft' | 'submitted';
  levels: ReviewLevels;
  recommendation: number | null;
  notes?: string;
  score: number | null;
  submittedAt: number | null;
}

export interface ReviewPage {
  attemptId: string;
  codeName: string;
  note: string;
  task: { slug: string; version: number; title: string; kind: 'code' | 'critique' | 'written' };
  rubric: RubricCriterion[];
  autoScore: {
    status: string;
    verdict: string | null;
    passed: number;
    failed: number;
    percent: number | null;
  } | null;
  submittedAt: number | null;
  myReview: ReviewView | null;
  progress: { assigned: number; submitted: number };
  /** Admins only: who is assigned and how far each is. */
  assignees?: Array<{ id: string; name: string; dueAt: number; status: 'to do' | 'draft' | 'submitted' }>;
  decided: boolean;
}

export interface Consolidated {
  codeName: string;
  reviews: ReviewView[];
  disagreements: { criterion: string; spread: number; flagged: boolean }[];
  decision: { decision: Decision; reason: string; decidedAt: number } | null;
}

export type Decision = 'advance' | 'reject' | 'hold';
export interface Identity {
  codeName: string;
  name: string;
  email: string;
}

export interface TimelineEvent {
  id: number;
  at: number;
  type: string;
  path: string | null;
  sha256: string | null;
  revision: number | null;
  payload: Record<string, unknown> | null;
}

export interface Run {
  id: string;
  kind: 'run' | 'test';
  argv: string[];
  status: string;
  verdict: string | null;
  exitCode: number | null;
  durationMs: number | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  createdAt: number;
}

export interface Grade {
  status: string;
  verdict: string | null;
  passed: number;
  failed: number;
  skipped: number;
  tests: {
    name: string;
    status: 'passed' | 'failed' | 'skipped';
    durationMs: number | null;
    message?: string;
  }[];
  error: string | null;
}

export interface LlmCall {
  id: string;
  purpose: string;
  endpoint: string;
  model: string;
  stream: boolean;
  request: unknown;
  response: unknown;
  content: string | null;
  status: number;
  errorCode: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number | null;
  createdAt: number;
}
export interface LlmView {
  enabled: boolean;
  usage: { requests: number; tokens: number };
  calls: LlmCall[];
}

export interface TaskSummary {
  slug: string;
  version: number;
  title: string;
  kind: string;
  versions: number;
  /** The /api/ready capability candidates need for this task. */
  needs: 'nothing' | 'codeTasks' | 'llmTasks';
}

export interface TaskVersion {
  id: string;
  slug: string;
  version: number;
  title: string;
  kind: string;
  createdAt: number;
}

/** POST /api/tasks/{slug}/verify: one row per check, `ok` when all pass. */
export interface VerifyResult {
  slug: string;
  version: number;
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string }[];
}

/** A staff account as GET /api/users lists it (admin only). */
export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface AgreementResult {
  method: 'weighted-kappa' | 'krippendorff-alpha';
  value: number | null;
  n: number;
  alpha: number | null;
}
export interface Agreement {
  task: string;
  submissions: number;
  reviews: number;
  criteria: (AgreementResult & { id: string; title: string })[];
  recommendation: AgreementResult;
  calibration: { reviewer: string; name: string; bias: number; meanAbsDiff: number; n: number }[];
}

export interface Funnel {
  task: string;
  total: number;
  counts: Record<string, number>;
}

export interface Invitation {
  id: string;
  candidateName: string;
  candidateEmail: string;
  taskSlug: string;
  taskVersion: number;
  createdAt: number;
  expiresAt: number;
  status: string;
  attemptId: string | null;
}

export const RECOMMENDATIONS = ['strong no', 'no', 'yes', 'strong yes'] as const;

export const fmtTime = (ms: number | null | undefined) =>
  ms ? new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
