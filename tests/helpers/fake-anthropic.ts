/**
 * A tiny Anthropic Messages server on loopback for gateway tests: it records every request and answers
 * like Claude — a tool_use block when tools are offered and the last user text mentions the weather, a
 * text block after a tool_result, plain text otherwise — as JSON or as the documented stream of
 * events. `fail-<status>` in the last user text answers that status with a message echoing the key.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenAnthropic {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
}

const lastUserText = (body: Record<string, any>): string => {
  const last = [...(body.messages ?? [])].reverse().find((m: any) => m.role === 'user');
  if (!last) return '';
  return typeof last.content === 'string'
    ? last.content
    : last.content.map((b: any) => (b.type === 'text' ? b.text : JSON.stringify(b))).join(' ');
};

export async function fakeAnthropic(opts: { key: string }) {
  const seen: SeenAnthropic[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      if (req.url !== '/v1/messages')
        return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'nope' } });
      const text = lastUserText(body);
      const fail = /fail-(\d{3})/.exec(text);
      if (fail)
        return json(res, Number(fail[1]), {
          type: 'error',
          error: { type: 'overloaded_error', message: `Overloaded for key ${opts.key}` },
        });
      const toolResult = text.includes('tool_result');
      const content =
        body.tools?.length && /weather/i.test(text) && !toolResult
          ? [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo' } }]
          : [{ type: 'text', text: toolResult ? 'Claude: 21 degrees.' : 'Claude says hello.' }];
      const stop = content[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn';
      const usage = { input_tokens: 11, output_tokens: 7 };
      if (!body.stream)
        return json(res, 200, {
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: body.model,
          content,
          stop_reason: stop,
          stop_sequence: null,
          usage,
        });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (event: string, data: object) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      send('message_start', {
        message: {
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 11, output_tokens: 1 },
        },
      });
      send('ping', {});
      const block = content[0]!;
      if (block.type === 'text') {
        send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        const t = (block as { text: string }).text;
        send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t.slice(0, 7) } });
        send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t.slice(7) } });
      } else {
        send('content_block_start', { index: 0, content_block: { ...block, input: {} } });
        send('content_block_delta', {
          index: 0,
          delta: { type: 'input_json_delta', partial_json: '{"city":' },
        });
        send('content_block_delta', {
          index: 0,
          delta: { type: 'input_json_delta', partial_json: '"Oslo"}' },
        });
      }
      send('content_block_stop', { index: 0 });
      send('message_delta', {
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 7 },
      });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}
