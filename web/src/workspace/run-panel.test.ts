import { describe, expect, it } from 'vitest';
import { staleWarning } from './run-panel.tsx';

describe('staleWarning', () => {
  it('names every file whose editor text the run will not see, and why', () => {
    expect(
      staleWarning({
        unsaved: [{ path: 'big.json', reason: 'the file is larger than 1 MB' }],
        conflicts: [{ path: 'main.py', mine: 'x', currentRevision: 3 }],
      }),
    ).toBe(
      'Warning: this runs the last saved version of big.json (the file is larger than 1 MB), main.py (a conflict to resolve) — not what the editor shows.',
    );
  });
  it('says nothing when the run gets what the editor shows', () => {
    expect(staleWarning({ unsaved: [], conflicts: [] })).toBeNull();
  });
});
