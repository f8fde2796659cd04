/**
 * A small human format for pino's JSON lines, used when the log goes to a terminal:
 * `12:04:05 INFO  worksample listening url=http://… database=sqlite`. Anything that is not a JSON
 * line passes through unchanged. Redaction has already happened in pino.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };

/** One pino JSON line → one readable line (no colour when `colour` is false). */
export function formatLine(line: string, colour = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, err, ...rest } = rec as {
    level?: number;
    time?: number;
    msg?: string;
    err?: { stack?: string; message?: string };
  };
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const name = LEVELS[level ?? 30] ?? String(level);
  const tag = colour && COLOURS[level ?? 0] ? `${COLOURS[level!]}${name}\x1b[0m` : name;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const error = err ? `\n  ${(err.stack ?? err.message ?? '').replace(/\n/g, '\n  ')}` : '';
  return `${clock} ${tag} ${msg ?? ''}${fields ? ` ${fields}` : ''}${error}`;
}

/** A stream pino can write to that prints formatted lines on `out`. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) if (l) out.write(`${formatLine(l, Boolean(out.isTTY))}\n`);
      done();
    },
  });
}
