// Wrong on purpose: retries 429s with its own short backoff and ignores Retry-After.
/**
 * Ticket triage: asks the model for a category, a priority and a one-line summary, and always
 * returns something the queue router can use. Every failure mode ends in `fallbackResult`:
 *
 * - empty ticket            → no model call, reason "empty"
 * - 429                     → up to 3 attempts, waiting Retry-After (else a short backoff), then "rate_limited"
 * - no answer within 2 s    → "timeout" (not retried: a slow model stays slow, and the webhook waits)
 * - invalid JSON / shape    → one re-ask that shows the model its mistake, then "malformed"
 * - anything else (5xx, network) → retried like a 429, then "error"
 */
import OpenAI from 'openai';
import {
  CATEGORIES,
  MAX_SUMMARY_CHARS,
  fallbackResult,
  type FallbackReason,
  type Ticket,
  type Triage,
  type TriageResult,
} from './types.ts';

const SYSTEM_PROMPT = `You triage customer support tickets for Acme Cloud.
Reply with a JSON object only, with exactly these keys:
  "category": one of "bug", "billing", "feature", "other"
  "priority": an integer: 1 (urgent: outage or money lost), 2 (high), 3 (normal) or 4 (low)
  "summary": one sentence, at most ${MAX_SUMMARY_CHARS} characters`;

export interface TriageOptions {
  model?: string;
  /** Per model call. */
  timeoutMs?: number;
  /** Attempts per model call when rate limited or failing (the first one included). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaults: Required<Omit<TriageOptions, 'model'>> = {
  timeoutMs: 2000,
  maxAttempts: 3,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type CallOutcome = { ok: true; content: string } | { ok: false; reason: FallbackReason };

/**
 * Classifies and summarises one ticket. Never throws: failures return the documented fallback.
 * `client` defaults to an OpenAI client configured from OPENAI_BASE_URL and OPENAI_API_KEY.
 */
export async function triage(
  ticket: Ticket | null | undefined,
  client?: OpenAI,
  options: TriageOptions = {},
): Promise<TriageResult> {
  const subject = (ticket?.subject ?? '').trim();
  const body = (ticket?.body ?? '').trim();
  if (!subject && !body) return fallbackResult(ticket, 'empty');

  const opts = { ...defaults, model: process.env.TRIAGE_MODEL ?? 'mock-small', ...options };
  try {
    const openai = client ?? new OpenAI({ maxRetries: 0 });
    const messages: Message[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `Subject: ${subject || '(none)'}\n\n${body}` },
    ];
    for (let ask = 1; ask <= 2; ask++) {
      const outcome = await callModel(openai, messages, opts);
      if (!outcome.ok) return fallbackResult(ticket, outcome.reason);
      const parsed = parseTriage(outcome.content);
      if (parsed) return { ...parsed, source: 'model' };
      // Re-ask once, showing the model what was wrong with its reply.
      messages.push(
        { role: 'assistant', content: outcome.content },
        {
          role: 'user',
          content:
            'That was not a valid JSON object with the keys described. Reply with the JSON object only.',
        },
      );
    }
    return fallbackResult(ticket, 'malformed');
  } catch {
    return fallbackResult(ticket, 'error');
  }
}

/** One logical model call: retries 429s and server errors, never a timeout. */
async function callModel(
  openai: OpenAI,
  messages: Message[],
  opts: Required<TriageOptions>,
): Promise<CallOutcome> {
  let last: FallbackReason = 'error';
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    try {
      const completion = await openai.chat.completions.create(
        { model: opts.model, messages, response_format: { type: 'json_object' }, temperature: 0 },
        // The SDK's own retries would multiply our attempts and retry timeouts: we own both.
        { timeout: opts.timeoutMs, maxRetries: 0 },
      );
      return { ok: true, content: completion.choices[0]?.message.content ?? '' };
    } catch (error) {
      if (error instanceof OpenAI.APIConnectionTimeoutError) return { ok: false, reason: 'timeout' };
      const status = error instanceof OpenAI.APIError ? error.status : undefined;
      const retryable = status === undefined || status === 429 || status >= 500;
      last = status === 429 ? 'rate_limited' : 'error';
      if (!retryable || attempt === opts.maxAttempts) break;
      await opts.sleep(retryDelayMs(error, attempt));
    }
  }
  return { ok: false, reason: last };
}

/** Short exponential backoff: 50 ms, 100 ms, … */
function retryDelayMs(_error: unknown, attempt: number): number {
  return 50 * 2 ** (attempt - 1);
}

/** The model's reply as a Triage, or undefined when it is not valid JSON of the right shape. */
export function parseTriage(content: string): Triage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { category, priority, summary } = value as Record<string, unknown>;
  if (!CATEGORIES.includes(category as Triage['category'])) return undefined;
  if (priority !== 1 && priority !== 2 && priority !== 3 && priority !== 4) return undefined;
  if (typeof summary !== 'string' || summary.trim() === '') return undefined;
  const oneLine = summary.trim().replace(/\s+/g, ' ');
  return {
    category: category as Triage['category'],
    priority,
    summary: oneLine.length <= MAX_SUMMARY_CHARS ? oneLine : `${oneLine.slice(0, MAX_SUMMARY_CHARS - 1)}…`,
  };
}
