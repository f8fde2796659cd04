/**
 * Webhooks: admin-configured endpoints told about invitations, attempts, grades, reviews and
 * decisions. Produced by tailing the durable timelines (attempt_events, invitation_events) with a
 * cursor, delivered from a durable queue with retries, signed (HMAC-SHA256 over timestamp + body),
 * and sent only to public addresses unless WEBHOOK_ALLOW_PRIVATE. See docs/webhooks.md.
 */
export { WebhookWorker, type WebhookWorkerDeps } from './queue.ts';
export type { FanOut } from './tailer.ts';
export {
  createEndpoint,
  deleteEndpoint,
  endpointPatchSchema,
  getDelivery,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  newEndpointSchema,
  redeliver,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
  type DeliveryView,
  type EndpointView,
  type TryView,
} from './endpoints.ts';
export { WEBHOOK_EVENTS, TEST_EVENT, type WebhookEventType, type WebhookBody } from './events.ts';
export {
  verifyWebhook,
  signatureHeader,
  SIGNATURE_HEADER,
  EVENT_HEADER,
  DELIVERY_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyResult,
} from './signature.ts';
export { retryDelayMs, type WebhookBackoff } from './backoff.ts';
export { isNonPublicAddress, urlProblem } from './ssrf.ts';
