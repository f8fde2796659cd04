/** Every gateway call stored with its attempt: request, response or error, joined stream, usage, latency. */
import type { ServiceContext } from '../platform/index.ts';
import type { LlmCallsTable } from '../db/schema.ts';

const MAX_STORED = 256 * 1024;
const clip = (s: string) => (s.length > MAX_STORED ? `${s.slice(0, MAX_STORED)}…[truncated]` : s);

export interface StartedCall {
  id: string;
  startedAt: number;
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
  constructor(private readonly ctx: ServiceContext) {}

  async start(c: {
    attemptId: string;
    keyId: string;
    purpose: LlmCallsTable['purpose'];
    endpoint: LlmCallsTable['endpoint'];
    model: string;
    stream: boolean;
    body: unknown;
    counted: boolean;
  }): Promise<StartedCall> {
    const id = this.ctx.ids.id('llm');
    const now = this.ctx.clock.now();
    await this.ctx.db
      .insertInto('llm_calls')
      .values({
        id,
        attempt_id: c.attemptId,
        key_id: c.keyId,
        purpose: c.purpose,
        endpoint: c.endpoint,
        model: c.model,
        upstream_model: null,
        stream: c.stream ? 1 : 0,
        request_json: clip(JSON.stringify(c.body)),
        response_json: null,
        content: null,
        status: 0,
        error_code: null,
        rule: null,
        rule_hits: '[]',
        counted: c.counted ? 1 : 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        latency_ms: null,
        created_at: now,
        finished_at: null,
      })
      .execute();
    return { id, startedAt: now };
  }

  async finish(call: StartedCall, f: Finish): Promise<void> {
    await this.ctx.db
      .updateTable('llm_calls')
      .set({
        status: f.status,
        error_code: f.errorCode ?? null,
        response_json: f.response === undefined ? null : clip(JSON.stringify(f.response)),
        content: f.content === undefined || f.content === null ? null : clip(f.content),
        rule: f.rule ?? null,
        rule_hits: JSON.stringify(f.ruleHits ?? []),
        prompt_tokens: f.promptTokens ?? 0,
        completion_tokens: f.completionTokens ?? 0,
        latency_ms: f.latencyMs === undefined ? null : Math.round(f.latencyMs),
        upstream_model: f.upstreamModel ?? null,
        finished_at: this.ctx.clock.now(),
      })
      .where('id', '=', call.id)
      .execute();
  }

  /** How often each mock rule's conditions held for this attempt's calls of this purpose. */
  async ruleCounts(attemptId: string, purpose: LlmCallsTable['purpose']): Promise<Record<string, number>> {
    const rows = await this.ctx.db
      .selectFrom('llm_calls')
      .select('rule_hits')
      .where('attempt_id', '=', attemptId)
      .where('purpose', '=', purpose)
      .where('rule_hits', '!=', '[]')
      .execute();
    const counts: Record<string, number> = {};
    for (const r of rows)
      for (const rule of JSON.parse(r.rule_hits) as string[]) counts[rule] = (counts[rule] ?? 0) + 1;
    return counts;
  }
}
