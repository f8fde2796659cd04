/**
 * Which browsers opened an attempt. Stops a shared or leaked invitation link from quietly letting a
 * second person (or a second machine) work on a started attempt: every browser that opens it is an
 * `attempt.device` event on the timeline reviewers see (the first one when it starts, each new one
 * after that), and a task can lock its attempts to the browser that started them
 * (`integrity.lockToFirstBrowser`): another browser is refused with 409 `open_elsewhere`, and the
 * refusal is recorded too. A browser is known by a random device cookie (`ws_device`) set the first
 * time it opens a link; only a short hash of it and the user agent are stored (no address).
 * This is evidence and a deterrent, not a hard boundary: someone who copies every cookie of the
 * first browser looks like it.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { hashSecret } from '../auth/index.ts';
import { getVersion } from '../tasks/index.ts';
import { attemptsOfInvitation, recordEvent, type Attempt } from './attempts.ts';

export interface DeviceSeen {
  /** The raw device cookie value (never stored). */
  device: string;
  userAgent: string;
  /** What the browser did: opened the link, started the attempt, or loaded the workspace. */
  via: 'link' | 'start' | 'workspace';
  /** The session cookie of this browser; on a locked task, other sessions end at start. */
  sessionCookie?: string;
}

export interface DevicePayload {
  device: string;
  userAgent: string;
  via: DeviceSeen['via'];
  /** 1 for the browser that started the attempt, 2 for the next new one, … */
  browser: number;
  /** True when the task is locked to the first browser and this one was turned away. */
  refused: boolean;
}

/** A short, stable label for a device cookie: enough to tell browsers apart, useless as a cookie. */
export const deviceLabel = (device: string) =>
  createHash('sha256').update(`ws-device:${device}`).digest('hex').slice(0, 12);

const MAX_USER_AGENT = 300;

/**
 * Notes that a browser opened this attempt: records it when it is new, refuses it (409) when the task
 * is locked to the first browser. Only while the attempt is open; a submitted one has nothing to guard.
 */
export async function noteDevice(ctx: ServiceContext, attempt: Attempt, seen: DeviceSeen): Promise<void> {
  if (attempt.status !== 'started') return;
  const rows = await ctx.db
    .selectFrom('attempt_events')
    .select('payload_json')
    .where('attempt_id', '=', attempt.id)
    .where('type', '=', 'attempt.device')
    .orderBy('id')
    .execute();
  const earlier = rows.map((r) => JSON.parse(r.payload_json) as DevicePayload);
  const label = deviceLabel(seen.device);
  const accepted = earlier.filter((d) => !d.refused);
  if (accepted.some((d) => d.device === label)) return;
  const { manifest } = await getVersion(ctx, attempt.task_version_id);
  const locked = manifest.integrity?.lockToFirstBrowser === true && accepted.length > 0;
  const payload: DevicePayload = {
    device: label,
    userAgent: seen.userAgent.slice(0, MAX_USER_AGENT),
    via: seen.via,
    browser: locked ? 0 : accepted.length + 1,
    refused: locked,
  };
  // A refused browser that keeps reloading is recorded once.
  if (!(locked && earlier.some((d) => d.refused && d.device === label))) {
    await recordEvent(ctx.db, {
      attemptId: attempt.id,
      at: ctx.clock.now(),
      type: 'attempt.device',
      payload,
    });
  }
  if (locked) {
    throw new AppError(
      'open_elsewhere',
      'this attempt is already open in another browser, and this task must be completed in the browser it was started in. Go back to that browser, or contact the hiring team if you cannot',
    );
  }
  if (accepted.length === 0 && manifest.integrity?.lockToFirstBrowser && seen.sessionCookie) {
    // The first browser now owns the attempt: sessions other browsers opened before the start end
    // here, so they must open the link again (and are refused above).
    await ctx.db
      .deleteFrom('sessions')
      .where('kind', '=', 'candidate')
      .where('invitation_id', '=', attempt.invitation_id)
      .where('id_hash', '!=', hashSecret(seen.sessionCookie))
      .execute();
  }
}

/** noteDevice for every attempt of an invitation (one, or one per task of an assessment). */
export async function noteDeviceForInvitation(
  ctx: ServiceContext,
  invitationId: string,
  seen: DeviceSeen,
): Promise<void> {
  const attempts = await attemptsOfInvitation(ctx.db, invitationId);
  for (const attempt of attempts) await noteDevice(ctx, attempt, seen);
}
