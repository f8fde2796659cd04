/**
 * Task packages: load a `tasks/<slug>/` folder from disk, validate its `task.yaml` manifest and file
 * tree, hash its content, import it as an immutable version, and read a version's stored files.
 */
export {
  loadTaskDir,
  roleOf,
  DEFAULT_TASK_LIMITS,
  type LoadOptions,
  type LoadResult,
  type LoadedTask,
  type TaskFile,
  type TaskFileRole,
  type TaskLimits,
} from './load.ts';
export {
  taskManifestSchema,
  parseTaskManifest,
  formatZodIssues,
  formatIssuePath,
  isSafeRelativePath,
  terminalEnabled,
  compilableArgv,
  DEFAULT_CRITIQUE_CATEGORIES,
  type TaskManifest,
} from './manifest.ts';
export { computeContentHash, sha256Hex } from './hash.ts';
export {
  importTask,
  listTasks,
  listVersions,
  resolveVersion,
  getVersion,
  toSummary,
  type TaskVersionSummary,
} from './import.ts';
export { versionFiles, versionFileText, type VersionFile } from './files.ts';
export { generateOutputs } from './generate.ts';
export { GenerateError } from './generate.ts';
