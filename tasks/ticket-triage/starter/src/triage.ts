/**
 * Ticket triage: asks the model for a category, a priority and a one-line summary.
 *
 * PROTOTYPE (from the hack week). Works on the demo tickets; see SUP-412 before it goes live.
 */
import OpenAI from 'openai';
import type { Ticket, TriageResult } from './types.ts';

const SYSTEM_PROMPT = `You triage customer support tickets for Acme Cloud.
Answer in JSON with the keys:
  "category": one of "bug", "billing", "feature", "other"
  "priority": 1 (urgent: outage or money lost), 2 (high), 3 (normal) or 4 (low)
  "summary": one sentence, at most 200 characters`;

/**
 * Classifies and summarises one ticket. `client` defaults to an OpenAI client configured from
 * OPENAI_BASE_URL and OPENAI_API_KEY (tests pass their own).
 */
export async function triage(ticket: Ticket, client?: OpenAI): Promise<TriageResult> {
  const openai = client ?? new OpenAI();
  const completion = await openai.chat.completions.create({
    model: process.env.TRIAGE_MODEL ?? 'mock-small',
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `Subject: ${ticket.subject}\n\n${ticket.body}` },
    ],
  });
  const parsed = JSON.parse(completion.choices[0]?.message.content ?? '');
  return { ...parsed, source: 'model' };
}
