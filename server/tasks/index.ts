/**
 * Task packages: load a `tasks/<slug>/` folder from disk, validate its
 * `task.yaml` manifest and file tree, and hash its content. The database import
 * service consumes `loadTaskDir`; nothing here touches the database.
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
  DEFAULT_CRITIQUE_CATEGORIES,
  type TaskManifest,
} from './manifest.ts';
export { computeContentHash, sha256Hex } from './hash.ts';
