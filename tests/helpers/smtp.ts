/**
 * A real SMTP server for tests (the smtp-server package) on 127.0.0.1 with a password, collecting
 * what it receives as parsed messages (headers, plain-text and HTML parts). Failures can be queued
 * (`rejectNext(451)`) to see the sender retry.
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  raw: string;
}

export interface TestSmtp {
  /** smtp://user:pass@127.0.0.1:port */
  url: string;
  user: string;
  password: string;
  messages: ReceivedMail[];
  /** Failed sign-ins seen (wrong password). */
  authFailures: number;
  /** The next `count` messages are refused with this reply code. */
  rejectNext(code: number, count?: number): void;
  /** Resolves when `n` messages have arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const user = 'mailer';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const messages: ReceivedMail[] = [];
  const rejections: number[] = [];
  const state = { authFailures: 0 };
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) return cb(null, { user });
      state.authFailures++;
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = rejections.shift();
        if (code) {
          const err = new Error(code >= 500 ? 'Message rejected' : 'Try again later') as Error & {
            responseCode: number;
          };
          err.responseCode = code;
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          ...parseMime(raw),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        for (const w of waiters) w();
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `smtp://${user}:${password}@127.0.0.1:${actual}`,
    user,
    password,
    messages,
    get authFailures() {
      return state.authFailures;
    },
    rejectNext(code, count = 1) {
      for (let i = 0; i < count; i++) rejections.push(code);
    },
    waitFor(n, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages.slice(0, n));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} messages, received ${messages.length}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough MIME for nodemailer's output: headers, multipart/alternative, quoted-printable, base64. */
function parseMime(raw: string): { subject: string; text: string; html: string | undefined } {
  const { headers, body } = splitHeaders(raw);
  const subject = decodeWords(headers.get('subject') ?? '');
  const parts: Array<{ type: string; body: string }> = [];
  const walk = (h: Map<string, string>, b: string) => {
    const type = h.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      for (const piece of b.split(`--${boundary}`).slice(1)) {
        if (piece.startsWith('--')) break;
        const inner = splitHeaders(piece.replace(/^\r?\n/, ''));
        walk(inner.headers, inner.body);
      }
      return;
    }
    parts.push({ type: type.split(';')[0]!.trim().toLowerCase(), body: decodeBody(b, h) });
  };
  walk(headers, body);
  return {
    subject,
    text: parts.find((p) => p.type === 'text/plain')?.body ?? '',
    html: parts.find((p) => p.type === 'text/html')?.body,
  };
}

function splitHeaders(s: string) {
  const i = s.search(/\r?\n\r?\n/);
  const head = i < 0 ? s : s.slice(0, i);
  const body = i < 0 ? '' : s.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c > 0) headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  return { headers, body };
}

function decodeBody(b: string, h: Map<string, string>): string {
  const enc = (h.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(b.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const escaped = b
      .replace(/=\r?\n/g, '')
      .replace(/\r\n/g, '\n')
      .replace(/%/g, '%25')
      .replace(/=([0-9A-F]{2})/gi, '%$1');
    return decodeURIComponent(escaped).replace(/\n$/, '');
  }
  return b.replace(/\r\n/g, '\n').replace(/\n$/, '');
}

function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_, _cs: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeURIComponent(data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, '%$1')),
    );
}
