/**
 * CSV writing for exports (RFC 4180: CRLF line ends, fields with a comma, quote or line break are
 * quoted, quotes doubled). Stops spreadsheet formula injection: a candidate's name or a reviewer's
 * reason starting with = + - @ (or a tab / carriage return) would run as a formula when the file is
 * opened, so such cells get a leading single quote and are read as text.
 */

export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: empty for null/undefined, formula-guarded, quoted when needed. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A whole document: the header row, then one line per row, each ended by CRLF. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => `${r.map(csvCell).join(',')}\r\n`).join('');
}
