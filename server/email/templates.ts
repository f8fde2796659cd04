/**
 * Email templates as files: `templates/<kind>.txt` (first line `Subject: …`, a blank line, then the
 * plain-text body, always sent) and an optional `templates/<kind>.html`. `{{name}}` placeholders are
 * filled from the message's values. Stops HTML injection into staff and candidate mailboxes: values
 * (a candidate's name is whatever an admin or a CSV typed) are HTML-escaped in the HTML part, and line
 * breaks are removed from the subject so no value can add a header.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const EMAIL_KINDS = [
  'invitation',
  'reminder',
  'submitted',
  'feedback',
  'review_assigned',
  'staff_invite',
  'password_reset',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export interface Template {
  subject: string;
  text: string;
  html?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string | null;
}

export type Templates = Record<EmailKind, Template>;

const DEFAULT_DIR = path.join(import.meta.dirname, 'templates');

/** Reads every kind's template from `dir` (called when services are built, never at import). */
export function loadTemplates(dir = DEFAULT_DIR): Templates {
  const out = {} as Templates;
  for (const kind of EMAIL_KINDS) {
    const raw = readFileSync(path.join(dir, `${kind}.txt`), 'utf8');
    const m = /^Subject: (.*)\r?\n\r?\n([\s\S]*)$/.exec(raw);
    if (!m) throw new Error(`${kind}.txt: expected "Subject: …", a blank line, then the text body`);
    const htmlFile = path.join(dir, `${kind}.html`);
    out[kind] = {
      subject: m[1]!,
      text: m[2]!,
      ...(existsSync(htmlFile) ? { html: readFileSync(htmlFile, 'utf8') } : {}),
    };
  }
  return out;
}

export const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

const fill = (tpl: string, values: Record<string, string>, encode: (s: string) => string) =>
  tpl.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`email template: no value for {{${name}}}`);
    return encode(v);
  });

/** Fills a template: the text part verbatim, the HTML part escaped, the subject on one line. */
export function renderEmail(tpl: Template, values: Record<string, string>): RenderedEmail {
  const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return {
    subject: oneLine(fill(tpl.subject, values, oneLine)).slice(0, 250),
    text: fill(tpl.text, values, (s) => s),
    html: tpl.html
      ? `<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">${fill(tpl.html, values, escapeHtml)}</body></html>`
      : null,
  };
}

/** A time as people read it in an email, with its zone (the server does not know the reader's). */
export function formatEmailTime(ms: number): string {
  const d = new Date(ms);
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  return `${fmt.format(d)} UTC`;
}

export function formatMinutes(min: number): string {
  if (min % 60 === 0) return min === 60 ? '1 hour' : `${min / 60} hours`;
  if (min > 60) return `${Math.floor(min / 60)} h ${min % 60} min`;
  return `${min} minutes`;
}
