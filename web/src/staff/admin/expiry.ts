/**
 * The "Link valid for (days)" field as the API's `expiresInDays`. A value that is not a number of days
 * from 1 to 365 (0, empty, negative, text) is an error to show, never a silent fall-back to the
 * server's default (a "0 days" link used to be created valid for 14).
 */
export function expiryDays(field: string): { expiresInDays: number } {
  const days = Number(field.trim());
  if (!field.trim() || !Number.isFinite(days) || days <= 0 || days > 365)
    throw new Error(`Link valid for (days): enter a number of days from 1 to 365 (got “${field.trim()}”).`);
  return { expiresInDays: days };
}
