/**
 * The IDE assistant: one chat turn for the candidate of an open attempt, answered by the task's first
 * model alias through the LLM gateway on the attempt's own budget (Gateway.assistant records the call
 * with origin 'assistant'), and noted on the attempt's timeline as `assistant.turn` for replay.
 *
 * Stops: the assistant as a way around the task's policy or budget. It answers only when the task
 * says `llm.assistant: chat` (otherwise it does not exist: not_found), only for a caller the route has
 * checked may write to the attempt, and every call is the gateway's own budgeted, recorded call, so
 * a conversation cannot spend more than the attempt's code could or go unseen by reviewers.
 */
import { recordEvent } from '../attempts/index.ts';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Gateway } from '../llm-gateway/index.ts';
import type { TaskManifest } from '../tasks/index.ts';

export interface AssistantTurn {
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
  /** The open file or selection the candidate chose to share. */
  context?: { path: string; content: string };
}

/** Prompt and reply are clipped to this many characters on the timeline (the transcript keeps all). */
export const TIMELINE_CLIP = 500;

export const SYSTEM_PROMPT =
  'You are a coding assistant inside a timed work-sample exercise. Answer concisely in Markdown; put ' +
  'code in fenced blocks with a language. The candidate may share a file or selection from their editor.';

const clip = (s: string) => (s.length > TIMELINE_CLIP ? `${s.slice(0, TIMELINE_CLIP)}…` : s);

/** True when the task offers the assistant. */
export function assistantEnabled(manifest: TaskManifest): boolean {
  return Boolean(manifest.llm?.enabled && manifest.llm.assistant === 'chat' && manifest.llm.models[0]);
}

/** Answers one turn; throws AppError with a message the candidate can act on when the gateway refuses. */
export async function askAssistant(
  ctx: ServiceContext,
  gateway: Pick<Gateway, 'assistant'>,
  attemptId: string,
  manifest: TaskManifest,
  turn: AssistantTurn,
): Promise<{ reply: string }> {
  if (!assistantEnabled(manifest)) throw new AppError('not_found', 'this task has no IDE assistant');
  const model = manifest.llm.models[0]!.alias;
  const system = turn.context
    ? `${SYSTEM_PROMPT}\n\nShared from the editor, ${turn.context.path}:\n\`\`\`\n${turn.context.content}\n\`\`\``
    : SYSTEM_PROMPT;
  const res = await gateway.assistant(attemptId, '/v1/chat/completions', {
    model,
    messages: [{ role: 'system', content: system }, ...turn.messages],
  });
  const json = (await res.json().catch(() => null)) as {
    choices?: Array<{ message?: { content?: string | null } }>;
    error?: { message?: string; code?: string };
  } | null;
  const reply = res.ok ? (json?.choices?.[0]?.message?.content ?? '') : '';
  const last = turn.messages.at(-1)?.content ?? '';
  await recordEvent(ctx.db, {
    attemptId,
    at: ctx.clock.now(),
    type: 'assistant.turn',
    path: turn.context?.path ?? null,
    payload: {
      model,
      status: res.status,
      shared: turn.context ? { path: turn.context.path, chars: turn.context.content.length } : null,
      prompt: clip(last),
      promptChars: last.length,
      reply: clip(reply),
      replyChars: reply.length,
    },
  });
  if (res.ok) return { reply };
  const why = json?.error?.message ?? `the model gateway answered ${res.status}`;
  if (res.status === 429) {
    throw new AppError('rate_limited', `The assistant cannot answer: ${why}`, {
      gatewayCode: json?.error?.code,
    });
  }
  if (res.status === 401 || res.status === 403) {
    throw new AppError('attempt_submitted', 'The assistant is not available: this attempt is no longer open');
  }
  throw new AppError('unavailable', `The assistant cannot answer right now: ${why}`);
}
