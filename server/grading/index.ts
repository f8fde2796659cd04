/** Grading: per-test reports from test runners, rubric scores and inter-rater agreement. */
export * from './report.ts';
export * from './agreement.ts';
export { cleanSlate, runHiddenTests, type HiddenTestRun } from './harness/index.ts';
