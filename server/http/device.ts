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

/** This browser's device id (set now when it has none) and user agent. */
export function deviceOf(c: Context<AppEnv>, via: DeviceSeen['via'], sessionCookie?: string): DeviceSeen {
  let device = getCookie(c, DEVICE_COOKIE);
  if (!device || !/^[A-Za-z0-9_-]{20,100}$/.test(device)) {
    device = c.get('ctx').ids.secret();
    setCookie(c, DEVICE_COOKIE, device, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: c.get('ctx').config.publicUrl.startsWith('https:'),
      path: '/',
      maxAge: YEAR_SECONDS,
    });
  }
  return { device, userAgent: c.req.header('user-agent') ?? '', via, sessionCookie };
}
