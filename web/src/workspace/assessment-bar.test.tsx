// @vitest-environment happy-dom
/**
 * The workspace's assessment bar: where the candidate is ("Task 2 of 3"), previous / next by list
 * order, back to the overview, and a failed move says so and leaves the buttons usable.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import type { AssessmentTask, AssessmentView } from '../lib/assessment.ts';
import { AssessmentBar } from './assessment-bar.tsx';

const task = (position: number, title: string): AssessmentTask => ({
  position,
  title,
  summary: '',
  kind: 'written',
  timeLimitMinutes: 30,
  weight: 1,
  status: 'started',
  attemptId: `att-${position}`,
  deadlineAt: null,
  submitReason: null,
});
const a: AssessmentView = {
  title: 'Loop',
  introMarkdown: '',
  clock: 'overall',
  timeLimitMinutes: 90,
  startedAt: 1,
  deadlineAt: 2,
  current: 1,
  submittedAll: false,
  tasks: [task(0, 'One'), task(1, 'Two'), task(2, 'Three')],
};

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});
const q = (id: string) => root.querySelector<HTMLButtonElement>(`[data-testid=${id}]`)!;
const settle = () => act(async () => void (await new Promise((r) => setTimeout(r, 0))));

describe('assessment bar', () => {
  it('names the place in the list and moves to the neighbours or the overview', async () => {
    const go = vi.fn(async () => {});
    await act(() => render(<AssessmentBar a={a} position={1} go={go} onSubmitAll={async () => {}} />, root));
    expect(q('assessment-position').textContent).toBe('Task 2 of 3');
    expect(q('prev-task').getAttribute('aria-label')).toBe('Previous task: One');
    await act(() => q('next-task').click());
    await settle();
    await act(() => q('prev-task').click());
    await settle();
    await act(() => q('to-overview').click());
    await settle();
    expect(go.mock.calls).toEqual([[2], [0], [null]]);
  });

  it('has no previous on the first task and no next on the last', async () => {
    const go = vi.fn(async () => {});
    await act(() => render(<AssessmentBar a={a} position={0} go={go} onSubmitAll={async () => {}} />, root));
    expect(q('prev-task').disabled).toBe(true);
    await act(() => render(<AssessmentBar a={a} position={2} go={go} onSubmitAll={async () => {}} />, root));
    expect(q('next-task').disabled).toBe(true);
    expect(q('prev-task').disabled).toBe(false);
  });

  it('a move the server refuses is reported, and the buttons work again', async () => {
    const go = vi.fn(async () => {
      throw new Error('this assessment is over');
    });
    await act(() => render(<AssessmentBar a={a} position={1} go={go} onSubmitAll={async () => {}} />, root));
    await act(() => q('next-task').click());
    await settle();
    expect(root.querySelector('[role=alert]')!.textContent).toBe('Could not move: this assessment is over');
    expect(q('next-task').disabled).toBe(false);
  });
});
