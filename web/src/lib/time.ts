/**
 * Times as people read them, always with the time zone ("Nov 30, 2026, 09:41 UTC"): candidates and
 * staff are often in different zones, and a bare "09:41" is read in the wrong one.
 */
const DATE_TIME: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
};
const TIME: Intl.DateTimeFormatOptions = {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
};

/** Date, time and zone; "—" when there is no time. */
export const formatDateTime = (ms: number | null | undefined, timeZone?: string) =>
  ms ? new Date(ms).toLocaleString(undefined, { ...DATE_TIME, timeZone }) : '—';

/** Time of day with seconds and zone (events within one session). */
export const formatTimeOfDay = (ms: number, timeZone?: string) =>
  new Date(ms).toLocaleTimeString(undefined, { ...TIME, timeZone });
