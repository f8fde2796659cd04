/**
 * Assessments: an ordered list of task versions under one invitation, with one overall clock or
 * per-task limits. Authored as `assessments/<slug>/assessment.yaml`, imported and versioned like tasks.
 */
export {
  assessmentManifestSchema,
  parseAssessmentManifest,
  MAX_ASSESSMENT_TASKS,
  type AssessmentManifest,
} from './manifest.ts';
export {
  loadAssessmentDir,
  assessmentHash,
  type LoadedAssessment,
  type AssessmentTask,
  type StoredAssessment,
} from './load.ts';
export {
  importAssessment,
  listAssessments,
  resolveAssessmentVersion,
  getAssessmentVersion,
  toAssessmentSummary,
  type AssessmentVersion,
  type AssessmentVersionSummary,
} from './import.ts';
export { assessmentOver, assessmentDeadline } from './clock.ts';
