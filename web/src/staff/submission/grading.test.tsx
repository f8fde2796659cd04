// @vitest-environment happy-dom
/**
 * The Hidden tests panel as staff meet it: a failed grading says why, earlier gradings stay listed
 * with when and why they ran, and Re-grade queues a new grading (for roles that may) and shows it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { HiddenTests } from './grading.tsx';
import type { Grade } from '../types.ts';

const base: Grade = {
  id: 'grade_1',
  attemptId: 'att_1',
  status: 'done',
  reason: 'submit',
  requestedBy: null,
  note: null,
  tries: 1,
  maxTries: 6,
  nextRunAt: null,
  lastError: null,
  verdict: 'failed',
  passed: 3,
  failed: 2,
  skipped: 0,
  tests: [{ name: 'adds', status: 'failed', durationMs: 3, message: 'expected 3' }],
  stdout: '',
  stderr: '',
  error: null,
  createdAt: Date.UTC(2026, 0, 1, 9),
  startedAt: Date.UTC(2026, 0, 1, 9),
  finishedAt: Date.UTC(2026, 0, 1, 9),
  supersededAt: null,
};
const failed: Grade = {
  ...base,
  id: 'grade_2',
  status: 'failed',
  verdict: null,
  passed: 0,
  failed: 0,
  tries: 6,
  reason: 'regrade',
  requestedBy: { id: 'u1', name: 'Ada Admin' },
  note: 'engine restarted',
  error: 'grading failed after 6 tries; the last engine error: address pool exhausted',
  lastError: 'address pool exhausted',
};

let host: HTMLElement;
afterEach(() => {
  render(null, host);
  host.remove();
  vi.unstubAllGlobals();
});

/** A fake API: GET answers the history in `state`, POST adds a queued grading. */
function serve(state: { grades: Grade[] }) {
  const calls: Array<{ method: string; url: string; body?: string }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ method: init.method!, url, body: init.body as string | undefined });
      if (init.method === 'POST') {
        state.grades = [
          {
            ...base,
            id: 'grade_3',
            status: 'queued',
            tries: 0,
            verdict: null,
            reason: 'regrade',
            note: 'again',
          },
          ...state.grades.map((g, i) => (i === 0 ? { ...g, supersededAt: Date.now() } : g)),
        ];
        return new Response(JSON.stringify({ grade: state.grades[0] }), { status: 202 });
      }
      return new Response(JSON.stringify(state), { status: 200 });
    }),
  );
  return calls;
}

async function mount(canRegrade: boolean) {
  host = document.createElement('div');
  document.body.append(host);
  await act(() => render(<HiddenTests attemptId="att_1" canRegrade={canRegrade} />, host));
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}
const q = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('Hidden tests panel', () => {
  it('says why a grading failed, lists the earlier one, and re-grades with a reason', async () => {
    const calls = serve({ grades: [failed, { ...base, supersededAt: failed.createdAt }] });
    await mount(true);
    expect(q('grade-failure')?.textContent).toContain(
      'grading failed after 6 tries; the last engine error: address pool exhausted',
    );
    expect(q('grade-status')?.textContent).toContain('re-graded by Ada Admin — “engine restarted”');
    const rows = host.querySelectorAll('[data-testid="grade-history-row"]');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toContain('submitted by the candidate');
    expect(rows[0]!.textContent).toContain('failed: 3 passed, 2 failed');

    const note = q('regrade-note') as HTMLInputElement;
    await act(() => {
      note.value = 'again';
      note.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      q('regrade')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
      await new Promise((r) => setTimeout(r, 0));
    });
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(calls.find((c) => c.method === 'POST')).toEqual({
      method: 'POST',
      url: '/api/attempts/att_1/grades',
      body: JSON.stringify({ note: 'again' }),
    });
    // The new grading is current and waiting; both earlier ones are listed; no second Re-grade meanwhile.
    expect(q('grade-waiting')?.textContent).toContain('waiting for a sandbox');
    expect(host.querySelectorAll('[data-testid="grade-history-row"]')).toHaveLength(2);
    expect(q('regrade')).toBeNull();
  });

  it('offers no Re-grade to a role that may not, and shows the per-test report of a done grading', async () => {
    serve({ grades: [base] });
    await mount(false);
    expect(q('regrade')).toBeNull();
    expect(host.querySelectorAll('[data-testid="test-row"]')).toHaveLength(1);
    expect(q('grade-history')).toBeNull();
  });
});
