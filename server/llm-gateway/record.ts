/**
 * Every gateway call stored with its attempt: request, response or error, joined stream, usage,
 * latency, the mock rules that matched. One row is written when the call ends (one synchronous
 * commit per call); calls in flight are tracked in memory by the gateway.
 */
import type { ServiceContext } from '../platform/index.ts';
import type { LlmCallsTable } from '../db/index.ts';
import { spenderOf, spenderSlot, type Spender } from './policy.ts';

const MAX_STORED = 256 * 1024;
const clip = (s: string) => (s.length > MAX_STORED ? `${s.slice(0, MAX_STORED)}…[truncated]` : s);

export interface StartedCall {
  id: string;
  startedAt: number;
  attemptId: string;
  keyId: string;
  purpose: LlmCallsTable['purpose'];
  endpoint: LlmCallsTable['endpoint'];
  model: string;
  stream: boolean;
  body: unknown;
  /** Whether the call counts against the request budget (refused calls do not). */
  counted: boolean;
  /** The candidate's code (default), or the IDE assistant. */
  origin?: LlmCallsTable['origin'];
}

export interface Finish {
  status: number;
  errorCode?: string;
  response?: unknown;
  content?: string | null;
  rule?: string | null;
  ruleHits?: string[];
  promptTokens?: number;
  completionTokens?: number;
  latencyMs?: number;
  upstreamModel?: string;
}

export class CallRecorder {
  /** spender (attempt/purpose, a grading's key) → mock rule counts, loaded once from the database, then kept current here. */
  private readonly counts = new Map<string, Promise<Record<string, number>>>();

  constructor(private readonly ctx: ServiceContext) {}

  begin(c: Omit<StartedCall, 'id' | 'startedAt'>): StartedCall {
    return { ...c, id: this.ctx.ids.id('llm'), startedAt: this.ctx.clock.now() };
  }

  /** Drops the rule counts of an attempt's gradings once one ends (each grading has its own key). */
  forgetGradings(attemptId: string): void {
    for (const key of this.counts.keys()) if (key.startsWith(`${attemptId}/grade/`)) this.counts.delete(key);
  }

  async finish(call: StartedCall, f: Finish): Promise<void> {
    const hits = f.ruleHits ?? [];
    if (hits.length) {
      const counts = await this.ruleCounts(
        spenderOf(call.attemptId, { id: call.keyId, purpose: call.purpose }),
      );
      for (const rule of hits) counts[rule] = (counts[rule] ?? 0) + 1;
    }
    await this.ctx.db
      .insertInto('llm_calls')
      .values({
        id: call.id,
        attempt_id: call.attemptId,
        key_id: call.keyId,
        purpose: call.purpose,
        endpoint: call.endpoint,
        model: call.model,
        upstream_model: f.upstreamModel ?? null,
        stream: call.stream ? 1 : 0,
        request_json: clip(JSON.stringify(call.body)),
        response_json: f.response === undefined ? null : clip(JSON.stringify(f.response)),
        content: f.content === undefined || f.content === null ? null : clip(f.content),
        status: f.status,
        error_code: f.errorCode ?? null,
        rule: f.rule ?? null,
        rule_hits: JSON.stringify(hits),
        counted: call.counted ? 1 : 0,
        origin: call.origin ?? 'code',
        prompt_tokens: f.promptTokens ?? 0,
        completion_tokens: f.completionTokens ?? 0,
        latency_ms: f.latencyMs === undefined ? null : Math.round(f.latencyMs),
        created_at: call.startedAt,
        finished_at: this.ctx.clock.now(),
      })
      .execute();
  }

  /** How often each mock rule's conditions held for this attempt's calls of this purpose. */
  ruleCounts(who: Spender): Promise<Record<string, number>> {
    const key = spenderSlot(who);
    let counts = this.counts.get(key);
    if (!counts) {
      counts = this.ctx.db
        .selectFrom('llm_calls')
        .select('rule_hits')
        .where('attempt_id', '=', who.attemptId)
        .where('purpose', '=', who.purpose)
        .$if(who.keyId !== undefined, (q) => q.where('key_id', '=', who.keyId!))
        .where('rule_hits', '!=', '[]')
        .execute()
        .then((rows) => {
          const out: Record<string, number> = {};
          for (const r of rows)
            for (const rule of JSON.parse(r.rule_hits) as string[]) out[rule] = (out[rule] ?? 0) + 1;
          return out;
        });
      counts.catch(() => this.counts.delete(key));
      this.counts.set(key, counts);
    }
    return counts;
  }
}
