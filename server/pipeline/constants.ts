/**
 * The pipeline's vocabulary: stages, sort keys and decision filters. Dependency-free on purpose: the
 * server's query (list.ts) and the admin page's URL state (web/src/staff/admin/pipeline-query.ts)
 * import these same lists, so the two cannot drift.
 */
export const PIPELINE_STAGES = [
  'invited',
  'opened',
  'started',
  'submitted',
  'graded',
  'in review',
  'decided',
  'expired',
  'revoked',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const PIPELINE_SORTS = ['invited', 'started', 'submitted', 'name', 'task', 'score', 'stage'] as const;
export type PipelineSort = (typeof PIPELINE_SORTS)[number];

/** Decisions to filter on; 'none' is "no decision yet". */
export const DECISIONS = ['advance', 'reject', 'hold', 'none'] as const;
