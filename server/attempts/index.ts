/**
 * Attempt lifecycle, with the server's clock as the only authority on time:
 * invited → started (deadline = start + time limit) → submitted (by the candidate, or automatically
 * once deadline + grace has passed, also for deadlines that passed while the server was down).
 * Access rule (security boundary): a candidate reaches only the attempt of their own invitation;
 * staff with admin/author roles may read any attempt; nobody else reaches one.
 */
export * from './attempts.ts';
export { deviceLabel, noteDevice, noteDeviceForInvitation, type DeviceSeen } from './devices.ts';
export {
  recordSignals,
  signalBatchSchema,
  MAX_BATCH,
  MAX_PER_ATTEMPT,
  PASTE_REPORT_MIN,
  type Signal,
} from './signals.ts';
