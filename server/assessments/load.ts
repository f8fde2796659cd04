/**
 * Loads `assessments/<slug>/assessment.yaml` and resolves its tasks to imported task versions.
 * Stops an author's folder from reaching outside itself: only the one regular file is read
 * (no symlinks followed), with a size cap.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseYamlText } from '../authoring/index.ts';
import { sha256Hex } from '../tasks/index.ts';
import { isAssessmentSlug, parseAssessmentManifest, type AssessmentManifest } from './manifest.ts';

const MAX_YAML_BYTES = 256 * 1024;

export interface LoadedAssessment {
  slug: string;
  manifest: AssessmentManifest;
  /** The file as read; part of the content hash. */
  text: string;
  /** Where errors point, e.g. `assessments/ai-engineer-loop/assessment.yaml`. */
  file: string;
}

export type AssessmentLoadResult =
  { ok: true; assessment: LoadedAssessment } | { ok: false; errors: string[] };

/** Reads and validates the folder's assessment.yaml (tasks are resolved at import). */
export async function loadAssessmentDir(dir: string): Promise<AssessmentLoadResult> {
  const label = dir.replace(/\/+$/, '');
  const slug = path.basename(path.resolve(dir));
  const file = `${label}/assessment.yaml`;
  if (!isAssessmentSlug(slug))
    return { ok: false, errors: [`${label}: folder name must be a slug (lowercase letters, digits, -)`] };
  let text: string;
  try {
    const fh = await open(path.join(dir, 'assessment.yaml'), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) return { ok: false, errors: [`${file}: not a regular file`] };
      if (st.size > MAX_YAML_BYTES)
        return { ok: false, errors: [`${file}: larger than ${MAX_YAML_BYTES} bytes`] };
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, errors: [`${label}: missing assessment.yaml`] };
    if (code === 'ELOOP') return { ok: false, errors: [`${file}: symlinks are not allowed`] };
    return { ok: false, errors: [`${file}: ${(err as Error).message}`] };
  }
  const parsed = parseYamlText(file, text);
  if (!parsed.ok) return parsed;
  const m = parseAssessmentManifest(file, parsed.data);
  if (!m.ok) return m;
  return { ok: true, assessment: { slug, manifest: m.manifest, text, file } };
}

/** One task of a stored assessment version, with the task version it pinned at import. */
export interface AssessmentTask {
  position: number;
  taskSlug: string;
  taskVersionId: string;
  taskVersion: number;
  title: string;
  summary: string;
  kind: 'code' | 'critique' | 'written';
  /** The task's own limit (the per-task clock uses it). */
  timeLimitMinutes: number;
  weight: number;
}

/** What `assessment_versions.manifest_json` holds. */
export interface StoredAssessment {
  title: string;
  intro: string;
  clock: AssessmentManifest['clock'];
  timeLimitMinutes: number | null;
  tasks: AssessmentTask[];
}

/** The version's identity: the YAML as written plus the task versions it pinned. */
export function assessmentHash(text: string, tasks: AssessmentTask[]): string {
  return sha256Hex(`worksample-assessment-v1\n${JSON.stringify([text, tasks.map((t) => t.taskVersionId)])}`);
}
