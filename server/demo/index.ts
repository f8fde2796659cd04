/**
 * First run of an empty database: a demo admin, every task under TASKS_DIR imported (then every
 * assessment under ASSESSMENTS_DIR), and a demo invitation per task, so a newcomer can click through immediately. Runs only when no user exists.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ServiceContext } from '../platform/index.ts';
import { countUsers, createUser } from '../users/index.ts';
import { importTask } from '../tasks/index.ts';
import { importAssessment } from '../assessments/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { AppError } from '../errors/index.ts';

export interface DemoSeed {
  admin: { email: string; password: string };
  invitations: Array<{ task: string; link: string }>;
  taskErrors: string[];
}

export async function seedDemo(ctx: ServiceContext): Promise<DemoSeed | undefined> {
  if ((await countUsers(ctx)) > 0) return undefined;
  const password = randomBytes(12).toString('base64url');
  const admin = await createUser(ctx, {
    email: 'admin@worksample.local',
    name: 'Demo Admin',
    role: 'admin',
    password,
  });
  const seed: DemoSeed = { admin: { email: admin.email, password }, invitations: [], taskErrors: [] };
  let dirs: string[] = [];
  try {
    dirs = (await readdir(ctx.config.tasksDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    seed.taskErrors.push(`${ctx.config.tasksDir}: no tasks folder; set TASKS_DIR`);
  }
  for (const dir of dirs) {
    try {
      const { version } = await importTask(ctx, path.join(ctx.config.tasksDir, dir), admin.id);
      const { link } = await createInvitation(
        ctx,
        {
          taskSlug: version.slug,
          candidateName: 'Demo Candidate',
          candidateEmail: 'candidate@worksample.local',
          // A made-up address: the demo link is printed, never emailed.
          sendEmail: false,
        },
        admin.id,
      );
      seed.invitations.push({ task: version.slug, link });
    } catch (err) {
      seed.taskErrors.push(err instanceof AppError ? err.message : String(err));
    }
  }
  // Assessments after the tasks they list; a missing folder is normal (none authored).
  let assessmentDirs: string[] = [];
  try {
    assessmentDirs = (await readdir(ctx.config.assessmentsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    assessmentDirs = [];
  }
  for (const dir of assessmentDirs) {
    try {
      const { version } = await importAssessment(ctx, path.join(ctx.config.assessmentsDir, dir), admin.id);
      const { link } = await createInvitation(
        ctx,
        {
          assessmentSlug: version.slug,
          candidateName: 'Demo Candidate',
          candidateEmail: 'candidate@worksample.local',
          sendEmail: false,
        },
        admin.id,
      );
      seed.invitations.push({ task: `assessment ${version.slug}`, link });
    } catch (err) {
      seed.taskErrors.push(err instanceof AppError ? err.message : String(err));
    }
  }
  return seed;
}
