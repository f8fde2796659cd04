/**
 * Integrity signals the candidate's page reports: large pastes (their size, never their text) and
 * time away from the page (window blur or hidden tab, with how long). They join the attempt timeline
 * as `integrity.paste` / `integrity.away` events that reviewers see summarised.
 *
 * Stops: a candidate (who controls every byte of these reports) flooding the timeline, storing
 * arbitrary text or markup that a reviewer's page would render, or back-dating events. Only two
 * kinds with numeric fields pass (strict schema: no other key, no strings but a closed enum), a batch
 * holds at most MAX_BATCH signals, an attempt keeps at most MAX_PER_ATTEMPT (later ones are counted,
 * not stored), durations are capped by the time since the attempt started, and the server's clock
 * stamps every event. Reports are accepted only from the owning candidate while the attempt is open.
 */
import { z } from 'zod';
import type { ServiceContext } from '../platform/index.ts';
import { AppError } from '../errors/index.ts';
import { recordEvent, type Attempt } from './attempts.ts';

export const MAX_BATCH = 50;
export const MAX_PER_ATTEMPT = 500;
/** Pastes shorter than this are not worth a reviewer's attention and are not sent. */
export const PASTE_REPORT_MIN = 200;
const MAX_PASTE = 50 * 1024 * 1024;

const count = (max: number) => z.number().int().min(0).max(max);

export const signalSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('paste'), chars: count(MAX_PASTE).min(PASTE_REPORT_MIN) }),
  z.strictObject({
    kind: z.literal('away'),
    /** `hidden`: the tab was hidden (another tab, minimised); `blur`: another window had focus. */
    reason: z.enum(['hidden', 'blur']),
    ms: count(24 * 3600_000),
  }),
]);
export const signalBatchSchema = z.strictObject({ signals: z.array(signalSchema).min(1).max(MAX_BATCH) });
export type Signal = z.infer<typeof signalSchema>;

/** Records a batch of signals; returns how many were stored (the rest exceeded the attempt's cap). */
export async function recordSignals(
  ctx: ServiceContext,
  attempt: Attempt,
  signals: readonly Signal[],
): Promise<{ stored: number }> {
  if (attempt.status !== 'started') throw new AppError('attempt_submitted', 'the attempt is not open');
  const now = ctx.clock.now();
  const sinceStart = Math.max(0, now - attempt.started_at);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('attempt_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('attempt_id', '=', attempt.id)
      .where('type', 'in', ['integrity.paste', 'integrity.away'])
      .executeTakeFirstOrThrow();
    const room = Math.max(0, MAX_PER_ATTEMPT - Number(row.n));
    const kept = signals.slice(0, room);
    for (const s of kept)
      await recordEvent(trx, {
        attemptId: attempt.id,
        at: now,
        type: `integrity.${s.kind}`,
        payload: s.kind === 'away' ? { ...s, ms: Math.min(s.ms, sinceStart) } : s,
      });
    return { stored: kept.length };
  });
}
