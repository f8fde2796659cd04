/**
 * Grading integrity: hidden tests run in a trusted harness (its own uid and folder) and reach the
 * candidate's code, running in an untrusted subject process, only through the bridge in
 * sandboxes/harness/. See docs/HIDDEN-TESTS.md and "Grading integrity" in docs/ARCHITECTURE.md.
 */
export { cleanSlate, excludedReason } from './clean-slate.ts';
export {
  hasHarness,
  planGrade,
  RESERVED_TEST_PREFIXES,
  type GradePlan,
  type GradePlanInput,
} from './plan.ts';
export { runHiddenTests, type HiddenTestRun } from './run.ts';
export { harnessVerdict, junitProblem, readFrame, tapProblem, type GradeVerdict } from './verdict.ts';
