/**
 * The device cookie: a random id a browser keeps for a year, so the attempt timeline can tell one
 * browser from another (server/attempts/devices.ts). Not a credential: it grants nothing by itself.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { DeviceSeen } from '../attempts/index.ts';
import type { AppEnv } from './deps.ts';

export const DEVICE_COOKIE = 'ws_device';
const YEAR_SECONDS = 365 * 24 * 3600;

/** This browser's device id (a fresh one when it has none yet) and user agent. */
export function deviceOf(
  c: Context<AppEnv>,
  via: DeviceSeen['via'],
  sessionCookie?: string,
): DeviceSeen & { fresh: boolean } {
  const known = getCookie(c, DEVICE_COOKIE);
  const fresh = !known || !/^[A-Za-z0-9_-]{20,100}$/.test(known);
  const device = fresh ? c.get('ctx').ids.secret() : known;
  return { device, userAgent: c.req.header('user-agent') ?? '', via, sessionCookie, fresh };
}

/** Gives the browser its device cookie, when `deviceOf` made a fresh id. */
export function rememberDevice(c: Context<AppEnv>, seen: { device: string; fresh: boolean }) {
  if (!seen.fresh) return;
  setCookie(c, DEVICE_COOKIE, seen.device, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: c.get('ctx').config.publicUrl.startsWith('https:'),
    path: '/',
    maxAge: YEAR_SECONDS,
  });
}
