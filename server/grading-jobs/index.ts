/**
 * Gradings as durable jobs: one `grades` row per grading, moved by a worker in each server process
 * (retries with backoff on engine errors, resumed after a restart, failed with a reason staff see),
 * and staff re-grades that add a row and keep the earlier ones.
 */
export { GradingQueue, type GradingQueueDeps } from './queue.ts';
export { regrade } from './regrade.ts';
export { getGrade, gradeHistory, viewGrade, type GradeView } from './view.ts';
export { backoffMs, type BackoffPolicy } from './backoff.ts';
export { describeError, isTransient } from './classify.ts';
