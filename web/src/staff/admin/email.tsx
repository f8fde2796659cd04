/**
 * Email in the staff pages: whether this server sends mail (without SMTP_URL links must be copied
 * by hand, and every page that shows links says so) and a delivery log for a candidate or a user.
 */
import { useState } from 'preact/hooks';
import { useGet } from '../hooks.ts';
import { fmtTime, type Delivery, type EmailStatus } from '../types.ts';

/** Whether mail goes out; null while loading. */
export function useEmailEnabled(): boolean | null {
  const s = useGet<EmailStatus>('/api/email/status');
  return s.data ? s.data.enabled : null;
}

/** The notice shown wherever links are shown when this server sends no email. */
export function EmailOffNotice({ enabled, what = 'links' }: { enabled: boolean | null; what?: string }) {
  if (enabled !== false) return null;
  return (
    <p class="banner warn" role="note" data-testid="email-off">
      <strong>Email is not set up on this server</strong> (no <code>SMTP_URL</code>), so nothing is emailed:
      copy the {what} shown here and send them yourself.
    </p>
  );
}

const KIND: Record<string, string> = {
  invitation: 'Invitation',
  reminder: 'Reminder',
  submitted: 'Submission confirmation',
  feedback: 'Feedback report',
  review_assigned: 'Review assigned',
  staff_invite: 'Staff invitation',
  password_reset: 'Password reset',
};

/** A "Emails" disclosure that loads the delivery log when opened. */
export function DeliveryLog({ url, label }: { url: string; label: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details
      class="delivery"
      onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
      data-testid="delivery"
    >
      <summary aria-label={label}>Emails</summary>
      {open && <DeliveryRows url={url} />}
    </details>
  );
}

function DeliveryRows({ url }: { url: string }) {
  const log = useGet<{ emails: Delivery[] }>(url);
  if (log.error) return <p class="error">{log.error}</p>;
  if (!log.data) return <p class="muted small">Loading…</p>;
  if (!log.data.emails.length) return <p class="muted small">No email sent.</p>;
  return (
    <ul class="delivery-log small" data-testid="delivery-log">
      {log.data.emails.map((e) => (
        <li key={e.id}>
          {KIND[e.kind] ?? e.kind} to {e.to}: <span class={`pill pill-mail-${e.status}`}>{e.status}</span>{' '}
          {e.sentAt ? fmtTime(e.sentAt) : fmtTime(e.createdAt)}
          {e.tries > 1 && ` · ${e.tries} tries`}
          {e.nextTryAt && ` · next try ${fmtTime(e.nextTryAt)}`}
          {e.lastError && <span class="muted"> · {e.lastError}</span>}
        </li>
      ))}
    </ul>
  );
}
