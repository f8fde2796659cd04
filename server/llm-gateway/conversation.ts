/**
 * `previous_response_id`: the earlier turns of a Responses conversation, read from the attempt's own
 * recorded calls. Stops: reading another attempt's conversation by guessing or copying a response id
 * — the lookup is by id *and* the caller's attempt and purpose, so a foreign id is "not found", the
 * same as a made-up one.
 */
import type { ServiceContext } from '../platform/index.ts';
import type { Spender } from './policy.ts';
import { invalid, type Refusal } from './params.ts';
import { inputItems, type ResponsesItem, type ResponsesRequest } from './responses.ts';

/** Longest chain of previous responses followed (each link is one indexed lookup). */
export const MAX_CHAIN = 200;

/** Every item before this request: earlier inputs and outputs, oldest first (instructions excluded). */
export async function historyOf(
  ctx: ServiceContext,
  who: Spender,
  responseId: string,
): Promise<ResponsesItem[] | Refusal> {
  const notFound = () => ({
    ...invalid(
      'previous_response_id',
      `Previous response with id '${responseId}' not found.`,
      'previous_response_not_found',
    ),
  });
  const turns: ResponsesItem[][] = [];
  let id: string | null | undefined = responseId;
  for (let depth = 0; id; depth++) {
    if (depth >= MAX_CHAIN || !id.startsWith('resp_')) return notFound();
    const row = await ctx.db
      .selectFrom('llm_calls')
      .select(['request_json', 'response_json'])
      .where('id', '=', id.slice('resp_'.length))
      .where('attempt_id', '=', who.attemptId)
      .where('purpose', '=', who.purpose)
      .where('endpoint', '=', 'responses')
      .where('status', '=', 200)
      .executeTakeFirst();
    if (!row?.response_json) return notFound();
    let request: ResponsesRequest;
    let output: ResponsesItem[];
    try {
      request = JSON.parse(row.request_json) as ResponsesRequest;
      output = ((JSON.parse(row.response_json) as { output?: unknown[] }).output ?? []).flatMap((o) => {
        const item = o as Record<string, unknown>;
        if (item.type === 'message')
          return [{ type: 'message', role: 'assistant', content: item.content } as ResponsesItem];
        if (item.type === 'function_call')
          return [
            {
              type: 'function_call',
              call_id: item.call_id,
              name: item.name,
              arguments: item.arguments,
            } as ResponsesItem,
          ];
        return [];
      });
    } catch {
      // A record cut at the transcript's size limit cannot be continued.
      return notFound();
    }
    turns.unshift([...inputItems(request), ...output]);
    id = request.previous_response_id;
  }
  return turns.flat();
}
