/** Pipeline filters survive the round trip through the address bar; junk in the URL falls back to defaults. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, fromSearch, toSearch } from './pipeline-query.ts';

describe('pipeline query', () => {
  it('round-trips every filter, the search, the sort and the page', () => {
    const s = {
      ...DEFAULTS,
      stage: ['in review' as const, 'graded' as const],
      task: 'hello-llm',
      reviewer: 'usr_1',
      unassigned: true,
      decision: 'none' as const,
      q: 'ada & co',
      sort: 'name' as const,
      dir: 'asc' as const,
      page: 3,
      pageSize: 25,
    };
    expect(fromSearch(toSearch(s))).toEqual(s);
  });

  it('writes nothing for the defaults and ignores unknown values', () => {
    expect(toSearch(DEFAULTS)).toBe('');
    expect(fromSearch('?stage=hired,graded&sort=evil&dir=up&page=-2&pageSize=9999&decision=maybe')).toEqual({
      ...DEFAULTS,
      stage: ['graded'],
    });
  });
});
