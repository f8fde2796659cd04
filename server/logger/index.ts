/**
 * pino logger. Redacts credentials: cookies, authorization headers, passwords, tokens.
 * Invitation links carry a token in the path; request logging strips it (see http/request-log.ts).
 */
import { pino, type Logger } from 'pino';
import { prettyStream } from './pretty.ts';

export type { Logger };

export const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'openaiApiKey',
  '*.openaiApiKey',
  'anthropicApiKey',
  '*.anthropicApiKey',
  'headers.cookie',
  'headers.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
];

/**
 * A logger writing JSON lines to `destination` (default stdout) — or, with format 'pretty' (default
 * when stdout is a terminal), short readable lines (see pretty.ts).
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: 'auto' | 'json' | 'pretty' = 'auto',
): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && !destination && process.stdout.isTTY === true);
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: undefined },
    (pretty ? prettyStream(destination ?? process.stdout) : destination) as never,
  );
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
