/**
 * The `anthropic` upstream: the gateway's chat form sent to Anthropic's Messages API (any server that
 * speaks it) and its answers turned back into chat completions and chunks, so every API the gateway
 * serves can use a Claude model. The provider key lives only here (sent as `x-api-key`); its errors go
 * through the same mapping as OpenAI's (upstream-errors.ts), so no provider text reaches a candidate.
 */
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ChatCall, ChatOutcome, LlmUpstream } from './index.ts';
import { mapUpstreamError, UpstreamError } from './upstream-errors.ts';

export const ANTHROPIC_VERSION = '2023-06-01';

type Msg = { role?: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string };
type Block = Record<string, unknown>;

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .map(
            (p) =>
              (p as { text?: string; refusal?: string }).text ?? (p as { refusal?: string }).refusal ?? '',
          )
          .join('')
      : '';

/** The chat body as a Messages request: system messages joined, tool messages as tool_result blocks. */
export function chatToAnthropic(body: ChatCall['body'], model: string): Record<string, unknown> {
  const system: string[] = [];
  const messages: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of body.messages as Msg[]) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content));
    else if (m.role === 'tool')
      push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: textOf(m.content) }]);
    else if (m.role === 'assistant') {
      const text = textOf(m.content);
      const calls = (Array.isArray(m.tool_calls) ? m.tool_calls : []) as Array<{
        id: string;
        function: { name: string; arguments: string };
      }>;
      push('assistant', [
        ...(text ? [{ type: 'text', text }] : []),
        ...calls.map((c) => ({
          type: 'tool_use',
          id: c.id,
          name: c.function.name,
          input: safeJson(c.function.arguments),
        })),
      ]);
    } else push('user', [{ type: 'text', text: textOf(m.content) }]);
  }
  const rf = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  // Messages has no JSON mode: the instruction goes into the system prompt.
  if (rf?.type === 'json_object') system.push('Answer with a single JSON object and nothing else.');
  if (rf?.type === 'json_schema')
    system.push(
      `Answer with a single JSON value matching this JSON schema and nothing else: ${JSON.stringify(rf.json_schema?.schema ?? {})}`,
    );
  const tools = (
    body.tools as
      Array<{ function: { name: string; description?: string; parameters?: unknown } }> | undefined
  )?.map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? { type: 'object' },
  }));
  const choice = body.tool_choice as string | { function?: { name?: string } } | undefined;
  const parallel = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const stop = typeof body.stop === 'string' ? [body.stop] : (body.stop as string[] | undefined);
  const out: Record<string, unknown> = {
    model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens,
    messages,
    ...(system.length ? { system: system.join('\n\n') } : {}),
    ...(typeof body.temperature === 'number' ? { temperature: Math.min(1, body.temperature) } : {}),
    ...(typeof body.top_p === 'number' ? { top_p: body.top_p } : {}),
    ...(stop?.length ? { stop_sequences: stop } : {}),
    ...(tools?.length ? { tools } : {}),
  };
  if (tools?.length && choice !== undefined)
    out.tool_choice =
      typeof choice === 'object'
        ? { type: 'tool', name: choice.function?.name, ...parallel }
        : choice === 'required'
          ? { type: 'any', ...parallel }
          : choice === 'none'
            ? { type: 'none' }
            : { type: 'auto', ...parallel };
  return out;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s || '{}');
  } catch {
    return {};
  }
}

const FINISH: Record<string, 'stop' | 'length' | 'tool_calls' | 'content_filter'> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** A Messages answer as a chat completion. */
export function anthropicToChat(m: Record<string, any>, alias: string, created: number): ChatCompletion {
  const blocks = (m.content ?? []) as Block[];
  const text = blocks
    .filter((b) => b.type === 'text')
    .map((b) => b.text as string)
    .join('');
  const calls = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({
      id: b.id as string,
      type: 'function' as const,
      function: { name: b.name as string, arguments: JSON.stringify(b.input ?? {}) },
    }));
  const input = Number(m.usage?.input_tokens ?? 0);
  const output = Number(m.usage?.output_tokens ?? 0);
  return {
    id: `chatcmpl-${m.id ?? 'anthropic'}`,
    object: 'chat.completion',
    created,
    model: alias,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (calls.length ? null : ''),
          refusal: null,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: FINISH[m.stop_reason as string] ?? 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}

/** Server-sent events of a fetch response, as { event, data } pairs. */
async function* events(res: Response): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
      const raw = buf.slice(0, end);
      buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of raw.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

/** Messages stream events as chat chunks (text deltas, tool calls, finish reason, then usage). */
async function* chunksOf(res: Response, alias: string, created: number, fail: (e: unknown) => UpstreamError) {
  const base = { id: 'chatcmpl-anthropic', object: 'chat.completion.chunk' as const, created, model: alias };
  const chunk = (
    delta: object,
    finish: ChatCompletionChunk.Choice['finish_reason'] = null,
  ): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  let input = 0;
  let output = 0;
  let tool = -1;
  /** content block index → tool call index */
  const tools = new Map<number, number>();
  try {
    for await (const { event, data } of events(res)) {
      if (event === 'ping') continue;
      const e = JSON.parse(data) as Record<string, any>;
      if (event === 'error' || e.type === 'error')
        throw OpenAI.APIError.generate(undefined, e, e.error?.message ?? 'stream error', undefined);
      if (e.type === 'message_start') {
        base.id = `chatcmpl-${e.message?.id ?? 'anthropic'}`;
        input = Number(e.message?.usage?.input_tokens ?? 0);
        yield chunk({ role: 'assistant', content: '' });
      } else if (e.type === 'content_block_start' && e.content_block?.type === 'tool_use') {
        tools.set(e.index, ++tool);
        yield chunk({
          tool_calls: [
            {
              index: tool,
              id: e.content_block.id,
              type: 'function',
              function: { name: e.content_block.name, arguments: '' },
            },
          ],
        });
      } else if (e.type === 'content_block_delta' && e.delta?.type === 'text_delta') {
        yield chunk({ content: e.delta.text });
      } else if (e.type === 'content_block_delta' && e.delta?.type === 'input_json_delta') {
        yield chunk({
          tool_calls: [{ index: tools.get(e.index) ?? 0, function: { arguments: e.delta.partial_json } }],
        });
      } else if (e.type === 'message_delta') {
        output = Number(e.usage?.output_tokens ?? output);
        if (e.usage?.input_tokens != null) input = Number(e.usage.input_tokens);
        yield chunk({}, FINISH[e.delta?.stop_reason as string] ?? 'stop');
      } else if (e.type === 'message_stop') {
        yield {
          ...base,
          choices: [],
          usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
        };
      }
    }
  } catch (err) {
    throw fail(err);
  }
}

/** Anthropic's Messages API (or a compatible server) as an upstream. */
export function anthropicUpstream(opts: {
  apiKey: string;
  baseURL?: string;
  timeoutMs?: number;
  clock?: { now(): number };
  fetch?: typeof fetch;
}): LlmUpstream {
  const base = (opts.baseURL ?? 'https://api.anthropic.com').replace(/\/+$/, '').replace(/\/v1$/, '');
  const doFetch = opts.fetch ?? fetch;
  const secrets = [opts.apiKey];
  const fail = (err: unknown) => new UpstreamError(mapUpstreamError(err, secrets));
  const now = () => Math.floor((opts.clock?.now() ?? Date.now()) / 1000);
  async function post(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 120_000);
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': opts.apiKey,
          'anthropic-version': ANTHROPIC_VERSION,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      throw timeout.aborted
        ? new OpenAI.APIConnectionTimeoutError()
        : new OpenAI.APIConnectionError({ cause: err as Error });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let json: Record<string, any> | undefined;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw OpenAI.APIError.generate(
        res.status,
        json?.error ?? json,
        json?.error?.message ?? text,
        res.headers,
      );
    }
    return res;
  }
  return {
    name: 'anthropic',
    async models() {
      return [];
    },
    async chat(call: ChatCall): Promise<ChatOutcome> {
      if (typeof call.body.n === 'number' && call.body.n > 1)
        return {
          kind: 'error',
          status: 400,
          type: 'invalid_request_error',
          code: 'unsupported_parameter',
          param: 'n',
          message: 'This model answers one choice per request (n must be 1).',
          retryable: false,
        };
      const body = { ...chatToAnthropic(call.body, call.model), ...(call.stream ? { stream: true } : {}) };
      try {
        const res = await post('/v1/messages', body, call.signal);
        if (call.stream) return { kind: 'stream', chunks: chunksOf(res, call.alias, now(), fail) };
        return { kind: 'completion', completion: anthropicToChat(await res.json(), call.alias, now()) };
      } catch (err) {
        return { kind: 'error', ...mapUpstreamError(err, secrets) };
      }
    },
    async embed() {
      throw new UpstreamError({
        status: 400,
        type: 'invalid_request_error',
        code: 'model_not_supported',
        message: 'This model has no embeddings endpoint; use an embeddings model such as mock-embed.',
        retryable: false,
        mayHaveBilled: false,
        detail: 'anthropic upstream has no embeddings',
      });
    },
  };
}
