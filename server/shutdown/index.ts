/**
 * Graceful shutdown and what resumes after it. SIGTERM (Docker stops a container with it and kills
 * at 10 s) must end the server within a fixed budget whatever is running: steps run in order, each
 * logged, each bounded by what is left of the budget, and a step that overruns is abandoned (what it
 * left behind is durable and picked up at the next start: gradings cut off go back in line,
 * server/grading-jobs/ `GradingQueue.start`).
 */
import type { Logger } from '../logger/index.ts';

export interface ShutdownStep {
  /** Logged as "shutdown: <name>". */
  name: string;
  run(): Promise<unknown>;
  /** Longest this step may take (default: whatever is left of the budget). */
  maxMs?: number;
}

/** Runs the steps in order within budgetMs; answers whether every step finished in time. */
export async function shutdown(
  steps: ShutdownStep[],
  opts: { logger: Logger; budgetMs: number; now?: () => number },
): Promise<boolean> {
  const now = opts.now ?? Date.now;
  const end = now() + opts.budgetMs;
  let clean = true;
  for (const step of steps) {
    const left = end - now();
    const allowed = Math.max(0, Math.min(left, step.maxMs ?? left));
    const started = now();
    const outcome = await within(step.run(), allowed);
    const ms = now() - started;
    if (outcome === 'done') opts.logger.info({ ms }, `shutdown: ${step.name}`);
    else {
      clean = false;
      if (outcome === 'timeout')
        opts.logger.warn({ ms }, `shutdown: ${step.name} (abandoned after ${allowed} ms)`);
      else opts.logger.error({ err: outcome.err, ms }, `shutdown: ${step.name} failed`);
    }
  }
  return clean;
}

async function within(p: Promise<unknown>, ms: number): Promise<'done' | 'timeout' | { err: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([
      p.then(
        () => 'done' as const,
        (err: unknown) => ({ err }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
