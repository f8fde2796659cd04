/**
 * The task's LLM policy (allowed models, budgets, mock script) and the budget checks. Exceeding a
 * budget answers an OpenAI-style 429 that names the budget; exhausted budgets also say
 * `x-should-retry: false` so SDKs do not retry in vain.
 *
 * Stops: calls overshooting the token budget together. A call's cost is only known when it ends, so
 * checking "used < budget" let 20 concurrent calls (or one with n: 5000) spend far past it. Each call
 * now reserves its worst case (prompt estimate + n × output cap) before it is sent; the check counts
 * what is recorded plus what calls in flight hold (reserve.ts), and refuses a call that does not fit.
 */
import type { ServiceContext } from '../platform/index.ts';
import { getVersion, versionFileText } from '../tasks/index.ts';
import { parseMockScript, type MockScript } from '../llm/index.ts';

/** Where an alias goes: the upstream model, and which upstream (absent: the deployment's). */
export interface ModelRoute {
  upstream: string;
  provider?: 'mock' | 'openai' | 'anthropic';
}

/** Every task gets an embeddings model unless it names its own alias so. */
export const DEFAULT_EMBEDDINGS: [string, ModelRoute] = [
  'mock-embed',
  { upstream: 'mock-embed', provider: 'mock' },
];

const withDefaultEmbeddings = (routes: Array<[string, ModelRoute]>) => {
  const map = new Map(routes);
  if (!map.has(DEFAULT_EMBEDDINGS[0])) map.set(...DEFAULT_EMBEDDINGS);
  return map;
};

export interface LlmPolicy {
  enabled: boolean;
  /** alias → where it goes */
  models: Map<string, ModelRoute>;
  budget: {
    maxRequests: number;
    maxTotalTokens: number;
    maxConcurrent: number;
    requestsPerMinute: number;
    /** Most choices (`n`) per chat request. */
    maxChoices: number;
    /** Most output tokens per choice; also the cap sent when the candidate sends none. */
    maxOutputTokens: number;
  };
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
        const source = await versionFileText(ctx, taskVersionId, 'llm/mock.yaml');
        let script: MockScript | undefined;
        if (source !== undefined) {
          const parsed = parseMockScript('llm/mock.yaml', source);
          if (parsed.ok) script = parsed.script;
          else
            ctx.logger.warn(
              { taskVersionId, errors: parsed.errors },
              'the task mock script does not parse; using the default replies',
            );
        }
        return {
          enabled: llm?.enabled ?? false,
          models: withDefaultEmbeddings(
            (llm?.models ?? []).map((m): [string, ModelRoute] => [
              m.alias,
              { upstream: m.upstream, ...(m.provider ? { provider: m.provider } : {}) },
            ]),
          ),
          budget: llm?.budget ?? {
            maxRequests: 0,
            maxTotalTokens: 0,
            maxConcurrent: 0,
            requestsPerMinute: 0,
            maxChoices: 1,
            maxOutputTokens: 1,
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

/** The spender's other calls admitted and not yet recorded, and the tokens they hold. */
export interface InFlight {
  calls: number;
  tokens: number;
}

/** A call's worst case: its prompt estimate, its choices, and the output cap it asked for (if any). */
export interface TokenWant {
  promptTokens: number;
  choices: number;
  /** Per choice; undefined: the gateway picks the cap (the task's, or what is left). */
  maxOutput?: number;
  /** Embeddings have no output. */
  noOutput?: boolean;
}

/** An admitted call: the tokens it holds until it is recorded, and the output cap to send. */
export interface Grant {
  reserve: number;
  outputCap: number;
}

/**
 * The first budget this call would exceed, or what it may reserve. `inFlight`: the spender's other
 * calls still running; the caller holds the spender's ledger while this runs (reserve.ts), so no call
 * is recorded or admitted in between.
 */
export async function checkBudgets(
  ctx: ServiceContext,
  who: Spender,
  budget: LlmPolicy['budget'],
  inFlight: InFlight,
  want: TokenWant = { promptTokens: 0, choices: 1, noOutput: true },
): Promise<BudgetRefusal | Grant> {
  const used = await usageOf(ctx, who);
  if (used.requests + inFlight.calls >= budget.maxRequests) {
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
  const grant = fitTokens(budget, used.tokens, inFlight.tokens, want);
  if ('code' in grant) return grant;
  const now = ctx.clock.now();
  const recent = await ctx.db
    .selectFrom('llm_calls')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
    .where('attempt_id', '=', who.attemptId)
    .where('purpose', '=', who.purpose)
    .$if(who.keyId !== undefined, (q) => q.where('key_id', '=', who.keyId!))
    .where('counted', '=', 1)
    .where('created_at', '>', now - 60_000)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) + inFlight.calls >= budget.requestsPerMinute) {
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
  if (inFlight.calls >= budget.maxConcurrent) {
    return {
      budget: 'concurrency',
      code: 'too_many_concurrent_requests',
      type: 'requests',
      message: `Too many concurrent requests: at most ${budget.maxConcurrent} at a time.`,
      retryAfter: 1,
      retryable: true,
    };
  }
  return grant;
}

/**
 * Whether the call's worst case fits what is left after recorded usage and in-flight reservations.
 * Without an explicit output cap the gateway sends the task's cap, or what is left when that is less
 * (the reply may end with finish_reason "length"); an explicit cap that does not fit is refused.
 */
function fitTokens(
  budget: LlmPolicy['budget'],
  used: number,
  held: number,
  want: TokenWant,
): BudgetRefusal | Grant {
  const left = budget.maxTotalTokens - used - held;
  const perChoice = want.noOutput
    ? 0
    : (want.maxOutput ??
      Math.min(budget.maxOutputTokens, Math.floor((left - want.promptTokens) / want.choices)));
  const reserve = want.promptTokens + want.choices * perChoice;
  if ((want.noOutput || perChoice >= 1) && reserve <= left) return { reserve, outputCap: perChoice };
  const worst = want.noOutput
    ? `about ${want.promptTokens} input tokens`
    : `up to ${want.promptTokens + want.choices * (want.maxOutput ?? 1)} tokens (about ${want.promptTokens} prompt + ${want.choices} × ${want.maxOutput ?? 1} output)`;
  const lower = want.noOutput
    ? 'Send less input'
    : `Lower max_tokens${want.choices > 1 ? ' or n' : ''}, or send a shorter prompt`;
  // Worth retrying only if the tokens held by calls in flight would make it fit once they settle.
  const retryable =
    held > 0 && want.promptTokens + want.choices * (want.maxOutput ?? 1) <= budget.maxTotalTokens - used;
  return {
    budget: 'tokens',
    code: 'budget_tokens_insufficient',
    type: 'insufficient_quota',
    message: `Token budget: this call may use ${worst}, and this attempt has ${Math.max(0, left)} of ${budget.maxTotalTokens} left${held > 0 ? ` (${held} more are held by calls still running)` : ''}. ${lower}.`,
    ...(retryable ? { retryAfter: 1 } : {}),
    retryable,
  };
}

export interface Usage {
  requests: number;
  tokens: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Who spends a budget. The candidate's calls share one budget per attempt, whatever the key (a key
 * replaced after a restart does not reset it). Grading's budget is per grading: each grading has its
 * own key (issued at its first call, revoked when it ends), so a retry after an engine error or a staff
 * re-grade runs the hidden tests with the whole grade budget, as the first grading did.
 */
export interface Spender {
  attemptId: string;
  purpose: 'attempt' | 'grade';
  /** Grading only: the grading's key. */
  keyId?: string;
}

export function spenderOf(attemptId: string, key: { id: string; purpose: 'attempt' | 'grade' }): Spender {
  return key.purpose === 'grade'
    ? { attemptId, purpose: 'grade', keyId: key.id }
    : { attemptId, purpose: 'attempt' };
}

/** The spender as one string: reservations and mock rule counts are kept per spender. */
export function spenderSlot(who: Spender): string {
  return who.keyId ? `${who.attemptId}/${who.purpose}/${who.keyId}` : `${who.attemptId}/${who.purpose}`;
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
    .$if(who.keyId !== undefined, (q) => q.where('key_id', '=', who.keyId!))
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
