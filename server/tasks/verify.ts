/**
 * `worksample tasks verify <dir>`: proves a task package grades the way its author claims, in real
 * sandboxes through the same path a submission takes (attempt → workspace → submit → fresh-container
 * grading with the gateway's mock model): the reference solution passes every hidden test, the
 * starter fails at least one, each wrong/<name> fails what it declares, the mock script parses and
 * the rubric is complete. Like Kattis problemtools' verifyproblem, for take-homes.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdir, mkdtemp, rm, writeFile as writeFs } from 'node:fs/promises';
import type { ServiceContext } from '../platform/index.ts';
import { freeLoopbackPort } from '../platform/net.ts';
import { getBlob } from '../blobs/index.ts';
import { getVersion } from './import.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logger/index.ts';
import { openDatabase } from '../db/index.ts';
import { randomIds, systemClock } from '../platform/index.ts';
import { createApp } from '../http/app.ts';
import { createSandboxDriver, limitsFromConfig, SandboxManager } from '../sandbox/index.ts';
import { imageFor, type EnvName } from '../sandbox/images/index.ts';
import type { LlmUpstream } from '../llm/index.ts';
import { parseMockScript } from '../llm/mock/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { startAttempt, submitAttempt } from '../attempts/index.ts';
import { writeFile } from '../workspace/index.ts';
import { getGrade, type GradeView } from '../runs/grade.ts';
import { loadTaskDir, type LoadedTask } from './load.ts';
import { importTask } from './import.ts';
import { answerKeyProblems, parseAnswerKey } from '../reviews/index.ts';

export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

function staticChecks(task: LoadedTask): VerifyCheck[] {
  const m = task.manifest;
  const checks: VerifyCheck[] = [
    { check: 'manifest', ok: true, detail: `${m.kind} task, ${task.files.length} files` },
  ];
  const weights = m.rubric.criteria.map((c) => c.weight);
  checks.push({
    check: 'rubric',
    ok: m.rubric.criteria.length > 0 && weights.every((w) => w > 0),
    detail: `${m.rubric.criteria.length} criteria, 4 anchored levels each, total weight ${weights.reduce((a, b) => a + b, 0)}`,
  });
  const mock = task.files.find((f) => f.path === 'llm/mock.yaml');
  if (mock) {
    const parsed = parseMockScript('llm/mock.yaml', mock.content.toString('utf8'));
    checks.push({
      check: 'mock script',
      ok: parsed.ok,
      detail: parsed.ok ? `${parsed.script.rules.length} rules` : parsed.errors.join('; '),
    });
  } else if (m.llm.enabled) {
    checks.push({
      check: 'mock script',
      ok: true,
      detail: 'none: the mock answers with its documented defaults',
    });
  }
  const key = answerKeyCheck(task);
  if (key) checks.push(key);
  return checks;
}

/** The critique answer key parses and each of its spans occurs exactly once in the outputs. */
function answerKeyCheck(task: LoadedTask): VerifyCheck | undefined {
  const critique = task.manifest.critique;
  if (!critique?.answerKey) return undefined;
  const text = (p: string) => task.files.find((f) => f.path === p)?.content.toString('utf8');
  const parsed = parseAnswerKey(critique.answerKey, text(critique.answerKey) ?? '');
  if (!parsed.ok) return { check: 'answer key', ok: false, detail: parsed.errors.join('; ') };
  const outputs = critique.outputs.map((p) => ({ path: p, content: text(`outputs/${p}`) ?? '' }));
  const problems = answerKeyProblems(critique.answerKey, parsed.key, outputs, critique.categories);
  const { flaws, notFlaws, defensible } = parsed.key;
  return {
    check: 'answer key',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `${flaws.length} planted flaws, ${notFlaws.length} correct statements, ${defensible.length} defensible points; every span occurs exactly once`,
  };
}

/** A variant's files, laid over the starter workspace the attempt begins with (none for the starter). */
function overlay(task: LoadedTask, variant: string): Array<{ path: string; content: Buffer }> {
  if (variant === 'starter') return [];
  const prefix = `${variant}/`;
  return task.files
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => ({ path: f.path.slice(prefix.length), content: f.content }));
}

function judge(variant: string, grade: GradeView | undefined, mustFail: string[] | undefined): VerifyCheck {
  if (!grade || grade.status !== 'done') {
    return {
      check: variant,
      ok: false,
      detail: `not graded: ${grade?.error ?? grade?.status ?? 'no grade'}`,
    };
  }
  const failed = grade.tests.filter((t) => t.status === 'failed').map((t) => t.name);
  const summary = `${grade.passed} passed, ${grade.failed} failed (verdict ${grade.verdict})`;
  if (variant === 'solution') {
    return {
      check: 'solution passes',
      ok: grade.verdict === 'passed',
      detail:
        grade.verdict === 'passed'
          ? summary
          : `${summary}; failing: ${failed.join(', ') || grade.stderr.slice(0, 300)}`,
    };
  }
  if (variant === 'starter') {
    return { check: 'starter fails', ok: grade.verdict !== 'passed', detail: summary };
  }
  if (mustFail?.length) {
    const missed = mustFail.filter((name) => !failed.includes(name));
    return {
      check: `${variant} fails`,
      ok: missed.length === 0,
      detail: missed.length
        ? `${summary}; should have failed: ${missed.join(', ')}`
        : `${summary}; fails all ${mustFail.length} declared`,
    };
  }
  return { check: `${variant} fails`, ok: grade.verdict !== 'passed', detail: summary };
}

/** Verifies one task folder. Code tasks are graded in real sandboxes; others get the static checks. */
export async function verifyTask(
  dir: string,
  deps: { config: Config; logger: Logger; llm: LlmUpstream },
): Promise<VerifyCheck[]> {
  const loaded = await loadTaskDir(dir);
  if (!loaded.ok) return loaded.errors.map((e) => ({ check: 'manifest', ok: false, detail: e }));
  const task = loaded.task;
  const checks = staticChecks(task);
  if (task.manifest.kind !== 'code') return checks;

  const { config, logger } = deps;
  const database = await openDatabase('sqlite::memory:');
  const driver = await createSandboxDriver(config, logger, (env) => imageFor(env as EnvName));
  const sandbox = new SandboxManager({
    driver,
    logger,
    limits: limitsFromConfig(config),
    poolSize: 0,
    warmEnvs: [],
    maxConcurrent: config.sandbox.maxConcurrent,
  });
  const app = createApp({
    database,
    clock: systemClock,
    ids: randomIds,
    sandbox,
    llm: deps.llm,
    logger,
    config,
  });
  try {
    const status = await driver.status();
    if (!status.ready)
      return [...checks, { check: 'sandbox', ok: false, detail: status.detail ?? 'not ready' }];
    await app.gateway.up('127.0.0.1');
    const { ctx } = app;
    const { version } = await importTask(ctx, dir);
    const variants = ['solution', 'starter', ...(task.manifest.wrong ?? []).map((w) => `wrong/${w.name}`)];
    const graded = await Promise.all(
      variants.map(async (variant, i) => {
        const { invitation } = await createInvitation(
          ctx,
          {
            taskSlug: version.slug,
            taskVersion: version.version,
            candidateName: variant,
            candidateEmail: `verify-${i}@worksample.local`,
          },
          null,
        );
        const attempt = await startAttempt(ctx, invitation.id);
        for (const f of overlay(task, variant)) await writeFile(ctx, attempt, f);
        await submitAttempt(ctx, attempt.id, 'candidate');
        return { variant, attemptId: attempt.id };
      }),
    );
    await app.runs.settle();
    for (const { variant, attemptId } of graded) {
      const mustFail = task.manifest.wrong?.find((w) => `wrong/${w.name}` === variant)?.mustFail;
      checks.push(judge(variant, await getGrade(ctx, attemptId), mustFail));
    }
    return checks;
  } finally {
    await app.runs.settle();
    await sandbox.close();
    await app.gateway.close();
    await database.close();
  }
}

/** The per-check table `tasks verify` prints. */
export function formatChecks(dir: string, checks: VerifyCheck[]): string {
  const width = Math.max(...checks.map((c) => c.check.length), 5);
  return [
    `${path.normalize(dir)}`,
    ...checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(width)}  ${c.detail}`),
  ].join('\n');
}

/**
 * Verifies an imported task version (the "Verify" button): its stored files are written to a
 * temporary folder and checked exactly like `worksample tasks verify <dir>`, on a gateway port of
 * its own so a running server is undisturbed.
 */
export async function verifyVersion(
  ctx: ServiceContext,
  versionId: string,
  deps: { config: Config; logger: Logger; llm: LlmUpstream },
): Promise<VerifyCheck[]> {
  const version = await getVersion(ctx, versionId);
  const root = await mkdtemp(path.join(os.tmpdir(), 'ws-verify-'));
  const dir = path.join(root, version.slug);
  try {
    const files = await ctx.db
      .selectFrom('task_version_files')
      .select(['path', 'sha256'])
      .where('task_version_id', '=', versionId)
      .execute();
    for (const f of files) {
      const target = path.join(dir, f.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFs(target, (await getBlob(ctx.db, f.sha256)) ?? Buffer.alloc(0));
    }
    return await verifyTask(dir, {
      ...deps,
      config: { ...deps.config, gatewayPort: await freeLoopbackPort() },
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
