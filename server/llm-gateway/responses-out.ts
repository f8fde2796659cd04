/**
 * The Responses API's answers, made from the gateway's chat form: the `response` object (message and
 * function_call output items, usage, `incomplete` on a length stop) and the documented streaming event
 * sequence — response.created, response.in_progress, output_item.added, content_part.added,
 * output_text.delta …, output_text.done, content_part.done, output_item.done (function calls:
 * function_call_arguments.delta/done), response.completed — each event numbered by sequence_number.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { openAiError } from './errors.ts';
import type { ResponsesRequest } from './responses.ts';
import { sse, type Wire } from './wire.ts';

type Item = Record<string, unknown> & { type: string; id: string };

const usageOf = (u: CompletionUsage | undefined) => ({
  input_tokens: u?.prompt_tokens ?? 0,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: u?.completion_tokens ?? 0,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: u?.total_tokens ?? 0,
});

const messageItem = (id: string, text: string, status: string): Item => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

/** The Responses wire for one request; `id` is the response id (`resp_<call id>`). */
export function responsesWire(
  req: ResponsesRequest,
  id: string,
  createdAt: number,
): Wire & {
  responseOf(
    output: Item[],
    usage: CompletionUsage | undefined,
    finish: string | null,
    status?: string,
  ): object;
} {
  const suffix = id.replace(/^resp_/, '');
  const responseOf = (
    output: Item[],
    usage: CompletionUsage | undefined,
    finish: string | null,
    status?: string,
  ) => {
    const incomplete = finish === 'length';
    const outputText = output
      .flatMap((i) => (i.type === 'message' ? (i.content as Array<{ text: string }>) : []))
      .map((p) => p.text)
      .join('');
    return {
      id,
      object: 'response',
      created_at: createdAt,
      status: status ?? (incomplete ? 'incomplete' : 'completed'),
      error: null,
      incomplete_details: incomplete && !status ? { reason: 'max_output_tokens' } : null,
      instructions: req.instructions ?? null,
      max_output_tokens: req.max_output_tokens ?? null,
      model: req.model,
      output,
      output_text: outputText,
      parallel_tool_calls: req.parallel_tool_calls ?? true,
      previous_response_id: req.previous_response_id ?? null,
      reasoning: { effort: req.reasoning?.effort ?? null, summary: null },
      store: req.store ?? true,
      temperature: req.temperature ?? 1,
      text: { format: req.text?.format ?? { type: 'text' }, verbosity: req.text?.verbosity ?? 'medium' },
      tool_choice:
        typeof req.tool_choice === 'object' && req.tool_choice
          ? req.tool_choice
          : (req.tool_choice ?? 'auto'),
      tools: (req.tools ?? []).map((t) => ({ ...t, strict: t.strict ?? true })),
      top_p: req.top_p ?? 1,
      truncation: 'disabled',
      usage: status === 'in_progress' ? null : usageOf(usage),
      user: null,
      metadata: {},
    };
  };

  return {
    endpoint: 'responses',
    alwaysUsage: true,
    error: openAiError,
    responseOf,
    body(c: ChatCompletion) {
      const choice = c.choices[0];
      const output: Item[] = [];
      const text = choice?.message.content;
      if (text || !choice?.message.tool_calls?.length)
        output.push(messageItem(`msg_${suffix}`, text ?? '', 'completed'));
      (choice?.message.tool_calls ?? []).forEach((t, i) => {
        if (t.type !== 'function') return;
        output.push({
          id: `fc_${suffix}_${i}`,
          type: 'function_call',
          status: 'completed',
          call_id: t.id,
          name: t.function.name,
          arguments: t.function.arguments,
        });
      });
      return responseOf(output, c.usage, choice?.finish_reason ?? 'stop');
    },
    stream() {
      let seq = 0;
      const output: Item[] = [];
      let message: { index: number; item: Item; text: string } | undefined;
      /** chat tool-call index → the function_call item it became. */
      const calls = new Map<number, { index: number; item: Item }>();
      let current: { index: number; item: Item } | undefined;
      let finish: string | null = null;
      let begun = false;
      let final: object | undefined;
      const ev = (type: string, data: object) => sse({ type, sequence_number: seq++, ...data }, type);
      const begin = () => {
        if (begun) return '';
        begun = true;
        const r = responseOf([], undefined, null, 'in_progress');
        return ev('response.created', { response: r }) + ev('response.in_progress', { response: r });
      };
      const closeMessage = () => {
        if (!message) return '';
        const { index, item, text } = message;
        message = undefined;
        const part = { type: 'output_text', text, annotations: [], logprobs: [] };
        const done = messageItem(item.id, text, 'completed');
        output[index] = done;
        const at = { item_id: item.id, output_index: index, content_index: 0 };
        return (
          ev('response.output_text.done', { ...at, text, logprobs: [] }) +
          ev('response.content_part.done', { ...at, part }) +
          ev('response.output_item.done', { output_index: index, item: done })
        );
      };
      const closeCall = () => {
        if (!current) return '';
        const { index, item } = current;
        current = undefined;
        const done = { ...item, status: 'completed' };
        output[index] = done;
        return (
          ev('response.function_call_arguments.done', {
            item_id: item.id,
            output_index: index,
            name: item.name,
            arguments: item.arguments,
          }) + ev('response.output_item.done', { output_index: index, item: done })
        );
      };
      return {
        chunk(chunk: ChatCompletionChunk) {
          let out = begin();
          const choice = chunk.choices.find((c) => (c.index ?? 0) === 0);
          const delta = choice?.delta;
          if (delta?.content) {
            if (!message) {
              out += closeCall();
              const index = output.length;
              const item: Item = {
                id: `msg_${suffix}`,
                type: 'message',
                status: 'in_progress',
                role: 'assistant',
                content: [],
              };
              output.push(item);
              message = { index, item, text: '' };
              const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
              out += ev('response.output_item.added', { output_index: index, item });
              out += ev('response.content_part.added', {
                item_id: item.id,
                output_index: index,
                content_index: 0,
                part,
              });
            }
            message.text += delta.content;
            out += ev('response.output_text.delta', {
              item_id: message.item.id,
              output_index: message.index,
              content_index: 0,
              delta: delta.content,
              logprobs: [],
            });
          }
          for (const t of delta?.tool_calls ?? []) {
            let entry = calls.get(t.index);
            if (!entry) {
              out += closeMessage() + closeCall();
              const index = output.length;
              const item: Item = {
                id: `fc_${suffix}_${calls.size}`,
                type: 'function_call',
                status: 'in_progress',
                call_id: t.id ?? '',
                name: t.function?.name ?? '',
                arguments: '',
              };
              output.push(item);
              entry = { index, item };
              calls.set(t.index, entry);
              current = entry;
              out += ev('response.output_item.added', { output_index: index, item: { ...item } });
            }
            const args = t.function?.arguments ?? '';
            if (args) {
              entry.item.arguments = `${entry.item.arguments as string}${args}`;
              out += ev('response.function_call_arguments.delta', {
                item_id: entry.item.id,
                output_index: entry.index,
                delta: args,
              });
            }
          }
          if (choice?.finish_reason) finish = choice.finish_reason;
          return out;
        },
        end(usage: CompletionUsage) {
          let out = begin();
          if (output.length === 0) {
            // An empty answer is still one (empty) message, as in the non-streamed body.
            const item = messageItem(`msg_${suffix}`, '', 'in_progress');
            output.push({ ...item, content: [] });
            message = { index: 0, item, text: '' };
            const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
            out += ev('response.output_item.added', { output_index: 0, item: { ...item, content: [] } });
            out += ev('response.content_part.added', {
              item_id: item.id,
              output_index: 0,
              content_index: 0,
              part,
            });
          }
          out += closeMessage() + closeCall();
          final = responseOf(output, usage, finish ?? 'stop');
          const type = finish === 'length' ? 'response.incomplete' : 'response.completed';
          return out + ev(type, { response: final });
        },
        fail({ message: text, type, code }) {
          const error = { type, code, message: text, param: null };
          // `error` on the event makes the openai SDK raise it like any API error.
          return begin() + ev('error', { code, message: text, param: null, error });
        },
        result: () => final ?? responseOf(output, undefined, finish, 'incomplete'),
      };
    },
  };
}
