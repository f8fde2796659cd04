/**
 * The task's LLM policy (allowed models, budgets, mock script) and the budget checks. Exceeding a
 * budget answers an OpenAI-style 429 that names the budget; exhausted budgets also say
 * `x-should-retry: false` so SDKs do not retry in vain.
 */
import type { ServiceContext } from '../platform/index.ts';
import { getBlob } from '../blobs/index.ts';
import { getVersion } from '../tasks/import.ts';
import { parseMockScript, type MockScript } from '../llm/mock/index.ts';

export interface LlmPolicy {
  enabled: boolean;
  /** alias → upstream model */
  models: Map<string, string>;
  budget: { maxRequests: number; maxTotalTokens: number; maxConcurrent: number; requestsPerMinute: number };
  script?: MockScript;
}

export interface BudgetRefusal {
  budget: 'requests' | 'tokens' | 'requests_per_minute' | 'concurrency';
  code: string;
  type: string;
  message: string;
  retryAfter?: number;
  retryable: boolean;
}

/** Loads (and caches per task version: versions are immutable) the policy of an attempt's task. */
export function policyLoader(ctx: ServiceContext) {
  const cache = new Map<string, Promise<LlmPolicy>>();
  return (taskVersionId: string): Promise<LlmPolicy> => {
    let p = cache.get(taskVersionId);
    if (!p) {
      p = (async () => {
        const { manifest } = await getVersion(ctx, taskVersionId);
        const llm = manifest.llm;
        const file = await ctx.db
          .selectFrom('task_version_files')
          .select('sha256')
          .where('task_version_id', '=', taskVersionId)
          .where('path', '=', 'llm/mock.yaml')
          .executeTakeFirst();
        let script: MockScript | undefined;
        if (file) {
          const parsed = parseMockScript(
            'llm/mock.yaml',
            (await getBlob(ctx.db, file.sha256))?.toString('utf8') ?? '',
          );
          if (parsed.ok) script = parsed.script;
          else
            ctx.logger.warn(
              { taskVersionId, errors: parsed.errors },
              'the task mock script does not parse; using the default replies',
            );
        }
        return {
          enabled: llm?.enabled ?? false,
          models: new Map((llm?.models ?? []).map((m) => [m.alias, m.upstream])),
          budget: llm?.budget ?? {
            maxRequests: 0,
            maxTotalTokens: 0,
            maxConcurrent: 0,
            requestsPerMinute: 0,
          },
          script,
        };
      })();
      p.catch(() => cache.delete(taskVersionId));
      cache.set(taskVersionId, p);
    }
    return p;
  };
}

/** The first budget this call would exceed, or undefined. `inFlight`: the spender's other calls still running (not yet recorded). */
export async function checkBudgets(
  ctx: ServiceContext,
  who: Spender,
  budget: LlmPolicy['budget'],
  inFlight: number,
): Promise<BudgetRefusal | undefined> {
  const used = await usageOf(ctx, who);
  if (used.requests + inFlight >= budget.maxRequests) {
    return {
      budget: 'requests',
      code: 'budget_requests_exhausted',
      type: 'insufficient_quota',
      message: `Request budget exhausted: this attempt may make ${budget.maxRequests} model requests and has made ${used.requests}.`,
      retryable: false,
    };
  }
  if (used.tokens >= budget.maxTotalTokens) {
    return {
      budget: 'tokens',
      code: 'budget_tokens_exhausted',
      type: 'insufficient_quota',
      message: `Token budget exhausted: this attempt may use ${budget.maxTotalTokens} tokens and has used ${used.tokens}.`,
      retryable: false,
    };
  }
  const now = ctx.clock.now();
  const recent = await ctx.db
    .selectFrom('llm_calls')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
    .where('attempt_id', '=', who.attemptId)
    .where('purpose', '=', who.purpose)
    .where('counted', '=', 1)
    .where('created_at', '>', now - 60_000)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) + inFlight >= budget.requestsPerMinute) {
    const oldest = recent.oldest === null ? now : Number(recent.oldest);
    const retryAfter = Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
    return {
      budget: 'requests_per_minute',
      code: 'rate_limit_requests_per_minute',
      type: 'requests',
      message: `Rate limit: at most ${budget.requestsPerMinute} requests per minute. Try again in ${retryAfter}s.`,
      retryAfter,
      retryable: true,
    };
  }
  if (inFlight >= budget.maxConcurrent) {
    return {
      budget: 'concurrency',
      code: 'too_many_concurrent_requests',
      type: 'requests',
      message: `Too many concurrent requests: at most ${budget.maxConcurrent} at a time.`,
      retryAfter: 1,
      retryable: true,
    };
  }
  return undefined;
}

export interface Usage {
  requests: number;
  tokens: number;
  promptTokens: number;
  completionTokens: number;
}

/** Budgets are per attempt and purpose (the candidate's calls; grading's calls), whatever the key. */
export interface Spender {
  attemptId: string;
  purpose: 'attempt' | 'grade';
}

export async function usageOf(ctx: ServiceContext, who: Spender): Promise<Usage> {
  const row = await ctx.db
    .selectFrom('llm_calls')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('counted'), eb.lit(0)).as('requests'),
      eb.fn.coalesce(eb.fn.sum<number>('prompt_tokens'), eb.lit(0)).as('prompt'),
      eb.fn.coalesce(eb.fn.sum<number>('completion_tokens'), eb.lit(0)).as('completion'),
    ])
    .where('attempt_id', '=', who.attemptId)
    .where('purpose', '=', who.purpose)
    .executeTakeFirstOrThrow();
  const promptTokens = Number(row.prompt);
  const completionTokens = Number(row.completion);
  return {
    requests: Number(row.requests),
    tokens: promptTokens + completionTokens,
    promptTokens,
    completionTokens,
  };
}
