/**
 * How a message leaves: the `Mailer` interface, the real SMTP one (nodemailer) and an in-memory fake
 * for unit tests. Stops the SMTP password leaking: it lives only in the transport, and error text
 * that reaches the outbox or the log has it scrubbed.
 */
import nodemailer from 'nodemailer';

export interface OutgoingMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
}

export interface Mailer {
  send(message: OutgoingMessage): Promise<void>;
  close(): void;
}

/** An SMTP failure with the server's reply code when there was one (4xx: try later, 5xx: rejected). */
export class MailError extends Error {
  constructor(
    message: string,
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

/** The real transport: `smtp://` (STARTTLS when offered) or `smtps://` (TLS from the start). */
export function smtpMailer(url: string): Mailer {
  const password = (() => {
    try {
      return decodeURIComponent(new URL(url).password);
    } catch {
      return '';
    }
  })();
  const scrub = (s: string) => (password ? s.split(password).join('***') : s);
  const transport = nodemailer.createTransport(url, {
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[1]);
  return {
    async send(m) {
      try {
        await transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
      } catch (err) {
        const e = err as { message?: string; responseCode?: number };
        throw new MailError(scrub(String(e.message ?? err)).slice(0, 500), e.responseCode);
      }
    },
    close: () => transport.close(),
  };
}

/** Unit tests: keeps messages in `sent`; `fail` makes the next sends throw. */
export function memoryMailer(): Mailer & { sent: OutgoingMessage[]; fail: Error[] } {
  const sent: OutgoingMessage[] = [];
  const fail: Error[] = [];
  return {
    sent,
    fail,
    async send(m) {
      const e = fail.shift();
      if (e) throw e;
      sent.push(m);
    },
    close() {},
  };
}
