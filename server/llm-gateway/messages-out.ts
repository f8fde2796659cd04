/**
 * Anthropic Messages answers made from the gateway's chat form: the `message` object (text and
 * tool_use blocks, stop_reason, usage) and the streaming events message_start, content_block_start,
 * content_block_delta (text_delta / input_json_delta), content_block_stop, message_delta,
 * message_stop; a stream the upstream breaks off ends with an `error` event.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { anthropicError } from './errors.ts';
import { sse, type Wire } from './wire.ts';

type Block = Record<string, unknown> & { type: string };

const STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};
const stopReason = (finish: string | null | undefined, stopped: boolean) =>
  stopped ? 'stop_sequence' : (STOP[finish ?? 'stop'] ?? 'end_turn');

const usageOf = (u: CompletionUsage | undefined) => ({
  input_tokens: u?.prompt_tokens ?? 0,
  output_tokens: u?.completion_tokens ?? 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

const parseInput = (args: string): unknown => {
  try {
    return JSON.parse(args || '{}');
  } catch {
    // A model's broken arguments stay visible instead of vanishing.
    return { _raw: args };
  }
};

/** The Messages wire for one request; `id` is the message id (`msg_<call id>`). */
export function messagesWire(model: string, id: string, promptEstimate: number): Wire {
  const messageOf = (content: Block[], finish: string | null, usage: CompletionUsage | undefined) => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(finish, false),
    stop_sequence: null,
    usage: usageOf(usage),
  });
  return {
    endpoint: 'messages',
    alwaysUsage: true,
    error: anthropicError,
    body(c: ChatCompletion) {
      const choice = c.choices[0];
      const content: Block[] = [];
      if (choice?.message.content) content.push({ type: 'text', text: choice.message.content });
      for (const t of choice?.message.tool_calls ?? [])
        if (t.type === 'function')
          content.push({
            type: 'tool_use',
            id: t.id,
            name: t.function.name,
            input: parseInput(t.function.arguments),
          });
      return messageOf(content, choice?.finish_reason ?? 'stop', c.usage);
    },
    stream() {
      const blocks: Block[] = [];
      /** The open block: text, or a tool call (chat tool index). */
      let open: { index: number; tool?: number; args: string } | undefined;
      let finish: string | null = null;
      let begun = false;
      let final: object | undefined;
      const begin = () => {
        if (begun) return '';
        begun = true;
        const message = { ...messageOf([], null, undefined), stop_reason: null };
        message.usage.input_tokens = promptEstimate;
        message.usage.output_tokens = 1;
        return sse({ type: 'message_start', message }, 'message_start') + sse({ type: 'ping' }, 'ping');
      };
      const close = () => {
        if (!open) return '';
        const { index, tool, args } = open;
        open = undefined;
        if (tool !== undefined) blocks[index]!.input = parseInput(args);
        return sse({ type: 'content_block_stop', index }, 'content_block_stop');
      };
      return {
        chunk(chunk: ChatCompletionChunk) {
          let out = begin();
          const choice = chunk.choices.find((c) => (c.index ?? 0) === 0);
          const delta = choice?.delta;
          if (delta?.content) {
            if (!open || open.tool !== undefined) {
              out += close();
              open = { index: blocks.length, args: '' };
              blocks.push({ type: 'text', text: '' });
              out += sse(
                { type: 'content_block_start', index: open.index, content_block: { type: 'text', text: '' } },
                'content_block_start',
              );
            }
            blocks[open.index]!.text = `${blocks[open.index]!.text as string}${delta.content}`;
            out += sse(
              {
                type: 'content_block_delta',
                index: open.index,
                delta: { type: 'text_delta', text: delta.content },
              },
              'content_block_delta',
            );
          }
          for (const t of delta?.tool_calls ?? []) {
            if (open?.tool !== t.index) {
              out += close();
              open = { index: blocks.length, tool: t.index, args: '' };
              const block = { type: 'tool_use', id: t.id ?? '', name: t.function?.name ?? '', input: {} };
              blocks.push(block);
              out += sse(
                { type: 'content_block_start', index: open.index, content_block: block },
                'content_block_start',
              );
            }
            const args = t.function?.arguments ?? '';
            if (args) {
              open.args += args;
              out += sse(
                {
                  type: 'content_block_delta',
                  index: open.index,
                  delta: { type: 'input_json_delta', partial_json: args },
                },
                'content_block_delta',
              );
            }
          }
          if (choice?.finish_reason) finish = choice.finish_reason;
          return out;
        },
        end(usage: CompletionUsage) {
          let out = begin() + close();
          final = messageOf(blocks, finish ?? 'stop', usage);
          out += sse(
            {
              type: 'message_delta',
              delta: { stop_reason: stopReason(finish, false), stop_sequence: null },
              usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
            },
            'message_delta',
          );
          return out + sse({ type: 'message_stop' }, 'message_stop');
        },
        fail({ message, type }) {
          const kind =
            type === 'rate_limit_exceeded' || type === 'requests' ? 'rate_limit_error' : 'api_error';
          return begin() + sse({ type: 'error', error: { type: kind, message } }, 'error');
        },
        result: () => final ?? { ...messageOf(blocks, finish, undefined), stop_reason: null },
      };
    },
  };
}
