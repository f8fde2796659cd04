/**
 * A small RFC 4180 reader for the bulk-invite upload (`name,email` per line). Hand-written rather
 * than a dependency: the format is two columns, and we need the line number each record starts on
 * so every problem can be reported against the line the author sees in their spreadsheet export.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
  /** Set when the record cannot be read (an unterminated quote, text after a closing quote). */
  problem?: string;
}

/**
 * Splits text into records: comma-separated fields, `"…"` quoting with `""` for a quote, quoted
 * fields may hold commas and line breaks; CRLF, LF or CR end a record; a leading BOM is dropped;
 * blank lines are skipped.
 */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let problem: string | undefined;
    let field = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (s[i] === '"') {
        // Quoted field: runs to the next lone quote.
        i++;
        let closed = false;
        while (i < s.length) {
          const ch = s[i]!;
          if (ch === '"') {
            if (s[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\n' || (ch === '\r' && s[i + 1] !== '\n')) line++;
          field += ch;
          i++;
        }
        if (!closed)
          problem ??= 'a quoted field opened here is never closed, so the rest of the file was read into it';
        // Only a comma or the end of the record may follow the closing quote.
        while (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') {
          problem ??= 'unexpected text after a closing quote; put the whole field in quotes';
          field += s[i];
          i++;
        }
      } else {
        while (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') field += s[i++];
      }
      fields.push(field);
      field = '';
      if (s[i] === ',') {
        i++;
        continue;
      }
      // End of record: consume the line break (CRLF, LF or CR).
      if (s[i] === '\r') {
        i++;
        if (s[i] === '\n') i++;
        line++;
      } else if (s[i] === '\n') {
        i++;
        line++;
      }
      endOfRecord = true;
    }
    const blank = fields.length === 1 && fields[0]!.trim() === '' && !problem;
    if (!blank) records.push({ line: start, fields, ...(problem ? { problem } : {}) });
  }
  return records;
}
