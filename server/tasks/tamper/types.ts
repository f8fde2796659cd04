/** Shapes shared by the tamper corpus builders. */
import type { ForgedTest } from './forge.ts';

/** What a builder knows about the task it attacks. */
export interface TamperInput {
  /** The hidden tests' names, for forged reports. */
  names: ForgedTest[];
  /** The JUnit path the grade command writes, if any. */
  reportPath?: string;
  /** Workspace paths the submission itself ships (so a reader can tell hidden files apart). */
  ownFiles: string[];
  /** Bare packages the grade command preloads (node). */
  preloads: string[];
  /** The workspace's package.json edited by `edit` (created when missing); node only. */
  packageJson(
    edit: (pkg: Record<string, unknown>) => Record<string, unknown>,
  ): Array<{ path: string; content: string }>;
}

/** One attack as a builder describes it: code put into every candidate module, plus extra files. */
export interface TamperCase {
  id: string;
  title: string;
  prepend: string;
  extra?: Array<{ path: string; content: string }>;
}

/** One tampering submission: the files written over the starter workspace. */
export interface TamperSubmission {
  id: string;
  title: string;
  files: Array<{ path: string; content: Buffer }>;
}
