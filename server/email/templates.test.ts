/** Email templates: every kind renders with a plain-text part; values cannot inject HTML or headers. */
import { describe, expect, it } from 'vitest';
import { EMAIL_KINDS, formatEmailTime, loadTemplates, renderEmail } from './templates.ts';

const templates = loadTemplates();
const values = {
  candidateName: 'Ada Lovelace',
  taskTitle: 'Parse JSON',
  timeLimit: '15 minutes',
  expiresAt: formatEmailTime(Date.UTC(2026, 0, 15, 9, 0)),
  link: 'http://localhost:8080/i/abc',
  submittedAt: 'now',
  how: 'You submitted.',
  report: '# Feedback',
  reviewerName: 'Rita',
  codeName: 'C-1234',
  dueAt: 'soon',
  name: 'Sam',
  role: 'reviewer',
  invitedBy: 'Alice',
};

describe('email templates', () => {
  it('has a subject and a plain-text part for every kind, with every placeholder filled', () => {
    for (const kind of EMAIL_KINDS) {
      const r = renderEmail(templates[kind], values);
      expect(r.subject.length, kind).toBeGreaterThan(5);
      expect(r.text, kind).not.toMatch(/\{\{/);
      expect(r.html ?? '', kind).not.toMatch(/\{\{/);
    }
  });

  it('puts link, task, time limit and expiry with its zone into the invitation', () => {
    const r = renderEmail(templates.invitation, values);
    expect(r.subject).toBe('Your work sample: Parse JSON');
    expect(r.text).toContain('http://localhost:8080/i/abc');
    expect(r.text).toContain('Time limit: 15 minutes');
    expect(r.text).toContain('Thu, 15 Jan 2026, 09:00 UTC');
    expect(r.html).toContain('<a href="http://localhost:8080/i/abc">');
  });

  it('refuses to render a template with a missing value instead of sending {{blank}}', () => {
    expect(() => renderEmail(templates.invitation, { ...values, link: undefined as never })).toThrow(/link/);
  });
});

describe('email templates (attacks)', () => {
  it('escapes a candidate name with <script> in the HTML part and keeps it verbatim in the text', () => {
    const name = '<script>alert(1)</script><img src=x onerror="steal()">';
    const r = renderEmail(templates.invitation, { ...values, candidateName: name });
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<img');
    expect(r.html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;steal()&quot;&gt;',
    );
    expect(r.text).toContain(`Hello ${name},`);
  });

  it('cannot break out of the link attribute', () => {
    const r = renderEmail(templates.invitation, { ...values, link: 'http://x/"><script>x</script>' });
    expect(r.html).toContain('href="http://x/&quot;&gt;&lt;script&gt;');
  });

  it('keeps the subject on one line (no header injection through a task title)', () => {
    const r = renderEmail(templates.invitation, { ...values, taskTitle: 'T\r\nBcc: victim@example.com' });
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.subject).toBe('Your work sample: T Bcc: victim@example.com');
  });
});
