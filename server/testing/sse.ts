/** Reads a run's server-sent events the way the browser does. */
import type { Browser, TestApp } from './index.ts';

export type SseEvent = { event?: string; data: any };

/** Reads a text/event-stream body to its end, calling onEvent as each event arrives. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      onEvent({ event: /^event: (.*)$/m.exec(block)?.[1], data: data ? JSON.parse(data) : undefined });
    }
  }
}

/** Follows a run's event stream to its end, calling onEvent as each event arrives; returns them all. */
export async function followEvents(
  t: TestApp,
  who: Browser,
  attemptId: string,
  runId: string,
  onEvent?: (e: SseEvent) => void,
) {
  const res = await t.app.request(`/api/attempts/${attemptId}/runs/${runId}/events`, {
    headers: { cookie: [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  });
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream'))
    throw new Error(`expected an event stream, got ${res.status} ${type}: ${await res.text()}`);
  const events: SseEvent[] = [];
  await readSse(res.body!, (e) => {
    events.push(e);
    onEvent?.(e);
  });
  return events;
}

export const stdoutOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'stdout')
    .map((e) => e.data)
    .join('');
