import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.ts';
import { formatLine } from './pretty.ts';

describe('readable logs on a terminal', () => {
  it('turns a JSON line into time, level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 0, 1, 12, 4, 5),
      msg: 'worksample listening',
      url: 'http://x',
      n: 2,
    });
    expect(formatLine(line)).toBe('12:04:05 INFO  worksample listening url=http://x n=2');
    expect(formatLine('not json')).toBe('not json');
  });

  it('still redacts secrets when pretty', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const logger = createLogger('info', out, 'pretty');
    logger.info({ password: 'hunter2', email: 'a@b.c' }, 'user added');
    await new Promise((r) => setImmediate(r));
    expect(text).toMatch(/INFO  user added password=\[redacted\] email=a@b\.c\n$/);
    expect(text).not.toContain('hunter2');
  });

  it('writes JSON lines when not asked to be pretty and not on a terminal', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    createLogger('info', out).info('hello');
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(text)).toMatchObject({ level: 30, msg: 'hello' });
  });
});
