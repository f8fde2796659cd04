// Wrong on purpose: leaves retries to the SDK (maxRetries 2), which also retries timed-out calls,
// so a hanging model keeps the caller waiting three times the timeout.
import OpenAI from 'openai';
import {
  CATEGORIES,
  MAX_SUMMARY_CHARS,
  fallbackResult,
  type Ticket,
  type Triage,
  type TriageResult,
} from './types.ts';

const SYSTEM_PROMPT = `You triage customer support tickets for Acme Cloud.
Reply with a JSON object only, with the keys "category" ("bug", "billing", "feature" or "other"),
"priority" (integer 1-4, 1 is urgent) and "summary" (one sentence, at most 200 characters).`;

export async function triage(ticket: Ticket | null | undefined, client?: OpenAI): Promise<TriageResult> {
  const subject = (ticket?.subject ?? '').trim();
  const body = (ticket?.body ?? '').trim();
  if (!subject && !body) return fallbackResult(ticket, 'empty');
  const openai = client ?? new OpenAI({ timeout: 2000 });
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `Subject: ${subject}\n\n${body}` },
  ];
  try {
    for (let ask = 1; ask <= 2; ask++) {
      const completion = await openai.chat.completions.create(
        { model: 'mock-small', messages, response_format: { type: 'json_object' } },
        { timeout: 2000 },
      );
      const content = completion.choices[0]?.message.content ?? '';
      const parsed = parse(content);
      if (parsed) return { ...parsed, source: 'model' };
      messages.push({ role: 'assistant', content }, { role: 'user', content: 'Reply with valid JSON only.' });
    }
    return fallbackResult(ticket, 'malformed');
  } catch (error) {
    if (error instanceof OpenAI.APIConnectionTimeoutError) return fallbackResult(ticket, 'timeout');
    if (error instanceof OpenAI.RateLimitError) return fallbackResult(ticket, 'rate_limited');
    return fallbackResult(ticket, 'error');
  }
}

function parse(content: string): Triage | undefined {
  try {
    const v = JSON.parse(content);
    if (!CATEGORIES.includes(v?.category) || ![1, 2, 3, 4].includes(v?.priority)) return undefined;
    if (typeof v.summary !== 'string' || !v.summary.trim()) return undefined;
    return {
      category: v.category,
      priority: v.priority,
      summary: v.summary.trim().slice(0, MAX_SUMMARY_CHARS),
    };
  } catch {
    return undefined;
  }
}
