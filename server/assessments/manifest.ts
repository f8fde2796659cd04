/**
 * The `assessment.yaml` format: an ordered list of task slugs with weights, one clock rule and an
 * intro. Validation names the file and field of every problem at once (`file: tasks[1].weight: …`).
 */
import { z } from 'zod';
import { fallbackMessage, formatIssuePath, formatZodIssues } from '../authoring/index.ts';

export const MAX_ASSESSMENT_TASKS = 20;

const slugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const assessmentManifestSchema = z
  .strictObject({
    title: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty' })
      .max(200, { message: 'at most 200 characters' }),
    intro: z.string().max(20_000, { message: 'at most 20000 characters' }).default(''),
    clock: z.enum(['overall', 'per-task'], {
      error: (iss) => (iss.input === undefined ? 'required' : 'expected overall or per-task'),
    }),
    timeLimitMinutes: z
      .number({ message: 'expected a number of minutes' })
      .int({ message: 'expected a whole number of minutes' })
      .positive({ message: 'expected a positive number of minutes' })
      .max(24 * 60, { message: 'at most 1440 minutes' })
      .optional(),
    tasks: z
      .array(
        z.strictObject({
          task: z
            .string()
            .regex(slugPattern, { message: 'expected a task slug (lowercase letters, digits, -)' }),
          weight: z
            .number({ message: 'expected a positive number' })
            .positive({ message: 'expected a positive number' })
            .max(100, { message: 'at most 100' })
            .default(1),
        }),
        { error: (iss) => (iss.input === undefined ? 'required' : 'expected a list of { task, weight }') },
      )
      .min(1, { message: 'list at least one task' })
      .max(MAX_ASSESSMENT_TASKS, { message: `at most ${MAX_ASSESSMENT_TASKS} tasks` }),
  })
  .superRefine((m, ctx) => {
    for (const issue of crossFieldIssues(m)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type AssessmentManifest = z.output<typeof assessmentManifestSchema>;

/** Rules between fields: the clock and its limit, each task listed once. */
function crossFieldIssues(m: unknown): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  if (!m || typeof m !== 'object') return out;
  const o = m as Record<string, unknown>;
  if (o.clock === 'overall' && o.timeLimitMinutes === undefined)
    out.push({ path: ['timeLimitMinutes'], message: 'required when clock is overall' });
  if (o.clock === 'per-task' && o.timeLimitMinutes !== undefined)
    out.push({
      path: ['timeLimitMinutes'],
      message: "not allowed when clock is per-task (each task's own limit applies)",
    });
  if (Array.isArray(o.tasks)) {
    const seen = new Map<unknown, number>();
    o.tasks.forEach((t, i) => {
      const slug = t && typeof t === 'object' ? (t as { task?: unknown }).task : undefined;
      if (typeof slug !== 'string') return;
      const first = seen.get(slug);
      if (first !== undefined)
        out.push({ path: ['tasks', i, 'task'], message: `${slug} is already listed at tasks[${first}]` });
      else seen.set(slug, i);
    });
  }
  return out;
}

/** Validates parsed YAML; on failure returns `file: field: message` lines. */
export function parseAssessmentManifest(
  file: string,
  data: unknown,
): { ok: true; manifest: AssessmentManifest } | { ok: false; errors: string[] } {
  const result = assessmentManifestSchema.safeParse(data, { error: fallbackMessage });
  if (result.success) return { ok: true, manifest: result.data };
  const crossField = crossFieldIssues(data).map(
    ({ path, message }) => `${file}: ${formatIssuePath(path)}: ${message}`,
  );
  return { ok: false, errors: [...new Set([...formatZodIssues(file, result.error), ...crossField])] };
}

export const isAssessmentSlug = (s: string) => slugPattern.test(s);
