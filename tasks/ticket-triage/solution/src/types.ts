/**
 * Shapes shared by the triage service and the queue router. The router reads `category` and
 * `priority` to pick a queue and an SLA, so both must always be one of the listed values.
 */

/** A ticket as it arrives from the help-desk webhook. Fields can be missing or blank. */
export interface Ticket {
  subject?: string | null;
  body?: string | null;
}

export const CATEGORIES = ['bug', 'billing', 'feature', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** 1 = urgent (outage, money lost), 2 = high, 3 = normal, 4 = low. */
export type Priority = 1 | 2 | 3 | 4;

export const MAX_SUMMARY_CHARS = 200;

/** What the model is asked to produce. */
export interface Triage {
  category: Category;
  priority: Priority;
  /** One sentence for the queue view; at most MAX_SUMMARY_CHARS characters. */
  summary: string;
}

/** Why the fallback was used instead of the model's answer. */
export type FallbackReason = 'empty' | 'timeout' | 'rate_limited' | 'malformed' | 'error';

export type TriageResult =
  (Triage & { source: 'model' }) | (Triage & { source: 'fallback'; reason: FallbackReason });

/**
 * The agreed fallback: the ticket goes to the general queue at normal priority, with its subject
 * (or, without one, the start of its body) as the summary. Humans re-triage these by hand.
 */
export function fallbackResult(ticket: Ticket | null | undefined, reason: FallbackReason): TriageResult {
  const subject = (ticket?.subject ?? '').trim();
  const body = (ticket?.body ?? '').trim();
  const summary = (subject || body).replace(/\s+/g, ' ').slice(0, MAX_SUMMARY_CHARS);
  return { category: 'other', priority: 3, summary, source: 'fallback', reason };
}
