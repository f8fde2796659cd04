/**
 * The hiring pipeline for admins: every candidate with stage, times, scores, reviews and decision,
 * filtered and paged in SQL; bulk actions over selected rows with a result per row.
 */
export {
  listPipeline,
  unassignedCount,
  PIPELINE_STAGES,
  PIPELINE_SORTS,
  DECISIONS,
  MAX_PAGE_SIZE,
  type PipelineQuery,
  type PipelinePage,
  type PipelineRow,
  type PipelineStage,
  type PipelineSort,
} from './list.ts';
export { bulkPipeline, MAX_BULK_IDS, type BulkAction, type BulkOutcome, type BulkRowResult } from './bulk.ts';
