/** One burst of Runs and gradings through the product's HTTP path, shared by the worker benchmarks. */
import type { Config } from '../server/config/index.ts';
import type { SandboxDriver } from '../server/sandbox/index.ts';
import { getGrade } from '../server/grading-jobs/index.ts';
import { benchApp } from './app.ts';
import { summarize } from './stats.ts';

/** The candidate's program: one call to the gateway's Chat Completions. */
export const LLM_MAIN = `const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Classify: great product' }] }),
});
console.log('gateway ' + r.status);
`;

export interface Outcome {
  runs: number;
  runsPerS: number;
  gradingsPerMin: number;
  runP50: number;
  failures: string[];
}

export interface BurstOptions {
  config: Config;
  candidates: number;
  /** Runs per candidate (at most 8: the example task allows 10 model calls a minute, 20 per attempt). */
  rounds: number;
  gradings: number;
  /** The server's cap on sandbox jobs at once. */
  maxConcurrent: number;
  /** Called once every candidate has its sandbox (after the warm-up Runs): e.g. to count where they are. */
  onWarm?: () => Promise<void>;
}

/**
 * The burst: every candidate Runs `rounds` times (candidates at once, each Run calling the gateway)
 * while `gradings` others submit and are graded, through the product's HTTP path.
 */
export async function burst(driver: SandboxDriver, remote: boolean, o: BurstOptions): Promise<Outcome> {
  const { candidates: CANDIDATES, rounds: ROUNDS, gradings: GRADINGS } = o;
  const app = await benchApp({ driver, maxConcurrent: o.maxConcurrent, config: o.config });
  // With workers, nothing of this process listens on sandbox networks: the forwarders call loopback.
  if (remote) await app.services.gateway.up('127.0.0.1');
  const failures: string[] = [];
  try {
    const candidates = await Promise.all(
      Array.from({ length: CANDIDATES + GRADINGS }, (_, i) => app.startCandidate(i)),
    );
    for (const c of candidates) await app.writeFile(c.who, c.attemptId, 'main.mjs', LLM_MAIN);
    await app.services.settle();
    // One warm-up Run each, so that the burst measures Runs and not session creation.
    await Promise.all(candidates.slice(0, CANDIDATES).map((c) => app.timedRun(c.who, c.attemptId)));
    await o.onWarm?.();
    const runMs: number[] = [];
    const t0 = performance.now();
    let gradedAt = 0;
    const runners = candidates.slice(0, CANDIDATES).map(async (c) => {
      for (let r = 0; r < ROUNDS; r++) {
        const t = await app.timedRun(c.who, c.attemptId);
        runMs.push(t.exit);
        if (t.verdict !== 'ok' || !t.stdout.includes('gateway 200'))
          failures.push(`run: ${t.verdict} ${t.stdout.trim().slice(0, 100)}`);
      }
    });
    const graded = candidates.slice(CANDIDATES);
    const grading = (async () => {
      await Promise.all(
        graded.map((c) =>
          app.app.request(`/api/attempts/${c.attemptId}/submit`, {
            method: 'POST',
            headers: {
              cookie: [...c.who.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
              'x-csrf-token': c.who.csrf ?? '',
            },
          }),
        ),
      );
      // Graded when every grading has its result (not when all background work has settled).
      for (;;) {
        const grades = await Promise.all(graded.map((c) => getGrade(app.services.ctx, c.attemptId)));
        if (grades.every((g) => g?.status === 'done' || g?.status === 'failed')) break;
        if (performance.now() - t0 > 600_000) break; // reported below as failures
        await new Promise((r) => setTimeout(r, 100));
      }
      gradedAt = performance.now() - t0;
    })();
    let runsWall = 0;
    const running = Promise.all(runners).then(() => (runsWall = performance.now() - t0));
    await Promise.all([running, grading]);
    await app.services.settle();
    for (const c of graded) {
      const g = await getGrade(app.services.ctx, c.attemptId);
      if (g?.status !== 'done') failures.push(`grading: ${g?.status} ${g?.error ?? ''}`);
    }
    return {
      runs: runMs.length,
      runsPerS: runMs.length / (runsWall / 1000),
      gradingsPerMin: GRADINGS / (gradedAt / 60_000),
      runP50: summarize(runMs).p50,
      failures,
    };
  } finally {
    await app.close();
  }
}
