/**
 * A tiny OpenAI-compatible server on loopback for gateway tests: it records every request it receives
 * and answers like a provider that always spends the most it is allowed to (usage = the prompt's
 * ceil(characters / 4) + n × the output cap it was sent), so a missing cap or an unreserved call shows
 * up as tokens. `answer` overrides the reply per request (errors, echoed keys, slowness).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body ({} for none). */
  body: Record<string, any>;
}

/** A reply the test chooses: a status and JSON body, or server-sent events; undefined: the default answer. */
export type FakeAnswer =
  { status: number; json: unknown; headers?: Record<string, string> } | { sse: unknown[] } | undefined;

/** Output tokens per choice when the request carries no cap: huge, so an uncapped call is obvious. */
export const UNCAPPED_OUTPUT = 100_000;

export async function fakeOpenAi(opts: { answer?: (req: SeenRequest) => FakeAnswer; delayMs?: number } = {}) {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body: Record<string, any> = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = { unparsable: raw };
      }
      const r: SeenRequest = { url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      const reply = () => {
        const custom = opts.answer?.(r);
        if (custom && 'sse' in custom) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const event of custom.sse) res.write(`data: ${JSON.stringify(event)}\n\n`);
          return res.end();
        }
        if (custom) return json(res, custom.status, custom.json, custom.headers);
        return defaultAnswer(r, res);
      };
      if (opts.delayMs) setTimeout(reply, opts.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** Worst-case usage for a chat request: every choice runs to its output cap. */
export function worstUsage(body: Record<string, any>) {
  const prompt = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  const cap = body.max_completion_tokens ?? body.max_tokens ?? UNCAPPED_OUTPUT;
  const completion = (body.n ?? 1) * cap;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function defaultAnswer(r: SeenRequest, res: ServerResponse) {
  const { body } = r;
  if (r.url === '/v1/embeddings') {
    const inputs: string[] = typeof body.input === 'string' ? [body.input] : (body.input ?? []);
    const dims = body.dimensions ?? 3;
    const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    return json(res, 200, {
      object: 'list',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: new Array(dims).fill(0.5) })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }
  if (r.url !== '/v1/chat/completions') {
    return json(res, 404, {
      error: { message: 'not found', type: 'invalid_request_error', param: null, code: null },
    });
  }
  const n: number = body.n ?? 1;
  const usage = worstUsage(body);
  const base = { id: 'chatcmpl-fake', created: 1, model: body.model };
  if (body.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
    for (let index = 0; index < n; index++) {
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index, delta: { role: 'assistant', content: 'streamed ' }, finish_reason: null }],
      });
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index, delta: { content: 'answer' }, finish_reason: null }],
      });
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index, delta: {}, finish_reason: 'length' }],
      });
    }
    if (body.stream_options?.include_usage)
      send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    return res.end('data: [DONE]\n\n');
  }
  return json(res, 200, {
    ...base,
    object: 'chat.completion',
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: 'upstream answer', refusal: null, annotations: [] },
      finish_reason: 'length',
      logprobs: null,
    })),
    usage,
  });
}
