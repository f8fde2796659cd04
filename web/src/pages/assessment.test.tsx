// @vitest-environment happy-dom
/**
 * The assessment pages as a candidate sees them: the intro renders the author's Markdown, lists the tasks with kind, limit and weight; the overview opens a task; Submit all asks
 * first and names the tasks it would submit as they are and the ones never started.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import type { CandidateView } from '../lib/api.ts';
import type { AssessmentTask, AssessmentView } from '../lib/assessment.ts';
import { AssessmentFinal, AssessmentIntro, AssessmentOverview } from './assessment.tsx';
import { syncClock } from '../lib/clock.ts';

const NOW = Date.UTC(2026, 0, 1, 12);

function task(position: number, status: AssessmentTask['status'], title: string): AssessmentTask {
  return {
    position,
    title,
    summary: `About ${title}`,
    kind: position === 0 ? 'code' : 'critique',
    timeLimitMinutes: position === 0 ? 45 : 20,
    weight: position === 0 ? 2 : 1,
    status,
    attemptId: status === 'started' || status === 'submitted' ? `att-${position}` : null,
    deadlineAt: null,
    submitReason: status === 'submitted' ? 'candidate' : null,
  };
}

const base: AssessmentView = {
  title: 'AI engineer loop',
  // Sanitising is renderMarkdown's (DOMPurify needs a real browser: tests/e2e/stored-xss.test.ts).
  introMarkdown: 'Two **parts**.',
  clock: 'per-task',
  timeLimitMinutes: null,
  startedAt: null,
  deadlineAt: null,
  current: null,
  submittedAll: false,
  tasks: [task(0, 'not_started', 'Ticket triage'), task(1, 'not_started', 'Critique a bot')],
};
const cand = { candidateName: 'Ada' } as CandidateView;

let root: HTMLElement;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(NOW);
  syncClock(NOW);
  root = document.createElement('div');
  document.body.append(root);
  // happy-dom's <dialog> may lack showModal/close.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.useRealTimers();
});

const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid=${id}]`);
const flush = () => act(async () => void (await Promise.resolve()));

describe('intro page', () => {
  it('renders the intro Markdown, the ordered tasks with kind, limit and weight, and the clock rule', async () => {
    const onStart = vi.fn(async () => {});
    await act(() => render(<AssessmentIntro cand={cand} a={base} onStart={onStart} />, root));
    const intro = q('assessment-intro-text')!;
    expect(intro.querySelector('strong')?.textContent).toBe('parts');
    const items = [...root.querySelectorAll('[data-testid=assessment-task]')].map((li) => li.textContent);
    expect(items[0]).toMatch(/Ticket triage.*Code task · 45 minutes · weight 2/);
    expect(items[1]).toMatch(/Critique a bot.*Critique task · 20 minutes · weight 1/);
    expect(q('clock-rule')!.textContent).toMatch(/Each task has its own time limit/);
    await act(() => q('assessment-start')!.click());
    expect(onStart).toHaveBeenCalledOnce();
  });

  it('an overall clock says the one limit on the Start button', async () => {
    const a = { ...base, clock: 'overall' as const, timeLimitMinutes: 90 };
    await act(() => render(<AssessmentIntro cand={cand} a={a} onStart={async () => {}} />, root));
    expect(q('assessment-start')!.textContent).toBe('Start — the 90 minutes clock starts now');
    expect(q('clock-rule')!.textContent).toMatch(/One clock of 90 minutes for all 2 tasks/);
  });
});

describe('overview and Submit all', () => {
  const started: AssessmentView = {
    ...base,
    clock: 'overall',
    timeLimitMinutes: 60,
    startedAt: NOW - 60_000,
    deadlineAt: NOW + 59 * 60_000,
    tasks: [task(0, 'started', 'Ticket triage'), task(1, 'not_started', 'Critique a bot')],
  };

  it('shows each status with Open / Continue and the overall clock; Open moves to the task', async () => {
    const onOpen = vi.fn(async () => {});
    await act(() =>
      render(
        <AssessmentOverview a={started} onOpen={onOpen} onSubmitAll={async () => {}} onClockOut={() => {}} />,
        root,
      ),
    );
    const rows = [...root.querySelectorAll<HTMLElement>('[data-testid=overview-task]')];
    expect(rows.map((r) => r.dataset.status)).toEqual(['started', 'not_started']);
    expect(q('open-task-1')!.textContent).toBe('Continue');
    expect(q('open-task-2')!.textContent).toBe('Open');
    expect(q('countdown')!.textContent).toContain('59:00');
    await act(() => q('open-task-2')!.click());
    await flush();
    expect(onOpen).toHaveBeenCalledWith(1);
  });

  it('Submit all asks first, naming the task in progress and the one never started', async () => {
    const onSubmitAll = vi.fn(async () => {});
    await act(() =>
      render(
        <AssessmentOverview
          a={started}
          onOpen={async () => {}}
          onSubmitAll={onSubmitAll}
          onClockOut={() => {}}
        />,
        root,
      ),
    );
    await act(() => q('submit-all')!.click());
    expect(q('submit-all-dialog')!.hasAttribute('open')).toBe(true);
    expect(onSubmitAll).not.toHaveBeenCalled();
    expect(q('submit-all-in-progress')!.textContent).toContain('Ticket triage');
    expect(q('submit-all-not-started')!.textContent).toMatch(/not attempted.*Critique a bot/);
    await act(() => q('confirm-submit-all')!.click());
    await flush();
    expect(onSubmitAll).toHaveBeenCalledOnce();
  });

  it('a submitted task has no Open button', async () => {
    const a = {
      ...started,
      tasks: [task(0, 'submitted', 'Ticket triage'), task(1, 'started', 'Critique a bot')],
    };
    await act(() =>
      render(
        <AssessmentOverview
          a={a}
          onOpen={async () => {}}
          onSubmitAll={async () => {}}
          onClockOut={() => {}}
        />,
        root,
      ),
    );
    expect(q('open-task-1')).toBeNull();
    expect(q('overview-progress')!.textContent).toBe('1 of 2 tasks submitted');
    await act(() => q('submit-all')!.click());
    expect(q('submit-all-not-started')).toBeNull();
  });
});

describe('final page', () => {
  it('after the overall clock ran out, says time is up and shows open tasks as submitted at the limit', async () => {
    const a: AssessmentView = {
      ...base,
      clock: 'overall',
      timeLimitMinutes: 60,
      startedAt: NOW - 61 * 60_000,
      deadlineAt: NOW - 60_000,
      tasks: [task(0, 'started', 'Ticket triage'), task(1, 'not_attempted', 'Critique a bot')],
    };
    await act(() => render(<AssessmentFinal a={a} />, root));
    expect(root.querySelector('h1')!.textContent).toBe('Time is up — your work was submitted');
    expect(q('final-tasks')!.textContent).toMatch(/Ticket triage: Submitted at the time limit/);
    expect(q('final-tasks')!.textContent).toMatch(/Critique a bot: Not attempted/);
  });
});
