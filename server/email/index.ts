/**
 * Outgoing email through SMTP (`SMTP_URL`): a durable outbox table moved by a worker with retries,
 * templates as files with a plain-text part, sweeps for reminders and submission confirmations, and
 * a delivery log per candidate invitation and per staff user. Without SMTP_URL nothing is queued and
 * the UI says links must be copied.
 */
export { EmailOutbox, type EmailOutboxDeps } from './worker.ts';
export { deliveryLog, type DeliveryEntry } from './outbox.ts';
export { queueInvitationEmail, taskFacts } from './messages.ts';
export { queueReminders, tailSubmissions } from './sweeps.ts';
export {
  EMAIL_KINDS,
  escapeHtml,
  formatEmailTime,
  loadTemplates,
  renderEmail,
  type EmailKind,
  type RenderedEmail,
  type Template,
  type Templates,
} from './templates.ts';
export { MailError, memoryMailer, smtpMailer, type Mailer, type OutgoingMessage } from './transport.ts';
