/** Reads a run's server-sent events the way the browser does. */
import { expect } from 'vitest';
import type { Browser, TestApp } from './index.ts';

export type SseEvent = { event?: string; data: any };

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
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      const e = { event: /^event: (.*)$/m.exec(block)?.[1], data: data ? JSON.parse(data) : undefined };
      events.push(e);
      onEvent?.(e);
    }
  }
  return events;
}

export const stdoutOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'stdout')
    .map((e) => e.data)
    .join('');
