import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.ts';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv', () => {
  it('splits plain records on LF, CRLF and CR, skipping blank lines, and numbers each line', () => {
    expect(parseCsv('Ada,ada@x.io\r\n\r\nBo,bo@x.io\rCy,cy@x.io\n')).toEqual([
      { line: 1, fields: ['Ada', 'ada@x.io'] },
      { line: 3, fields: ['Bo', 'bo@x.io'] },
      { line: 4, fields: ['Cy', 'cy@x.io'] },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks, and keeps later line numbers right', () => {
    const recs = parseCsv(
      '"Lovelace, Ada",ada@x.io\n"Bo ""The Bear""",bo@x.io\n"Cy\nSecond",cy@x.io\nDee,d@x.io',
    );
    expect(recs.map((r) => r.fields)).toEqual([
      ['Lovelace, Ada', 'ada@x.io'],
      ['Bo "The Bear"', 'bo@x.io'],
      ['Cy\nSecond', 'cy@x.io'],
      ['Dee', 'd@x.io'],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 5]);
  });

  it('drops a leading byte order mark and keeps empty fields', () => {
    expect(fields('\uFEFFname,email\n,x@y.io\nAda,\n')).toEqual([
      ['name', 'email'],
      ['', 'x@y.io'],
      ['Ada', ''],
    ]);
  });

  it('reports an unterminated quote and text after a closing quote on the line the record starts', () => {
    expect(parseCsv('Ada,a@x.io\n"Bo,bo@x.io\nCy,c@x.io')[1]).toMatchObject({
      line: 2,
      problem: expect.stringMatching(/never closed/),
    });
    expect(parseCsv('"Bo" Smith,bo@x.io')[0]).toMatchObject({
      line: 1,
      fields: ['Bo Smith', 'bo@x.io'],
      problem: expect.stringMatching(/after a closing quote/),
    });
  });

  it('returns nothing for an empty or blank input', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\r\n  \n')).toEqual([]);
  });
});
