/**
 * The candidate app's decisions about an assessment: which page a (re)loaded view shows, the clock rule
 * in words, and what "Submit all" would leave unsubmitted or never started.
 */
import { describe, expect, it } from 'vitest';
import type { CandidateView } from './api.ts';
import {
  assessmentOf,
  assessmentPage,
  clockRule,
  isOver,
  minutes,
  neighbours,
  pendingTasks,
  type AssessmentTask,
  type AssessmentView,
} from './assessment.ts';

const NOW = Date.UTC(2026, 0, 1, 12);

function task(
  position: number,
  status: AssessmentTask['status'],
  title = `Task ${position}`,
): AssessmentTask {
  return {
    position,
    title,
    summary: '',
    kind: position === 0 ? 'code' : 'critique',
    timeLimitMinutes: 30,
    weight: 1,
    status,
    attemptId: status === 'not_started' || status === 'not_attempted' ? null : `att-${position}`,
    deadlineAt: null,
    submitReason: status === 'submitted' ? 'candidate' : null,
  };
}

function view(a: Partial<AssessmentView>): AssessmentView {
  return {
    title: 'AI engineer loop',
    introMarkdown: '# Hi',
    clock: 'overall',
    timeLimitMinutes: 90,
    startedAt: NOW - 60_000,
    deadlineAt: NOW + 60 * 60_000,
    current: null,
    submittedAll: false,
    tasks: [task(0, 'started'), task(1, 'not_started')],
    ...a,
  };
}
const cand = (a: AssessmentView | null) => ({ assessment: a }) as unknown as CandidateView;

describe('assessmentPage', () => {
  it('shows the intro until Start, then the overview, then the task the session is on', () => {
    expect(assessmentPage(cand(view({ startedAt: null, deadlineAt: null })), NOW)).toEqual({ page: 'intro' });
    expect(assessmentPage(cand(view({})), NOW)).toEqual({ page: 'overview' });
    expect(assessmentPage(cand(view({ current: 1 })), NOW)).toEqual({ page: 'task', position: 1 });
  });

  it('sends a session sitting on a finished task back to the overview', () => {
    const a = view({ current: 0, tasks: [task(0, 'submitted'), task(1, 'not_started')] });
    expect(assessmentPage(cand(a), NOW)).toEqual({ page: 'overview' });
  });

  it('shows the final page after Submit all, when every task is finished, or when the overall clock ran out', () => {
    expect(assessmentPage(cand(view({ submittedAll: true, current: 1 })), NOW)).toEqual({ page: 'final' });
    const all = view({ tasks: [task(0, 'submitted'), task(1, 'not_attempted')] });
    expect(assessmentPage(cand(all), NOW)).toEqual({ page: 'final' });
    // The sweeper has not submitted yet, but the clock is over: the page does not wait for it.
    expect(assessmentPage(cand(view({ current: 0 })), NOW + 61 * 60_000)).toEqual({ page: 'final' });
  });

  it('a per-task clock has no overall end: tasks stay open past any single deadline', () => {
    const a = view({ clock: 'per-task', timeLimitMinutes: null, deadlineAt: null, current: 1 });
    expect(isOver(a, NOW + 10 * 3600_000)).toBe(false);
    expect(assessmentPage(cand(a), NOW)).toEqual({ page: 'task', position: 1 });
  });

  it('single-task invitations have no assessment', () => {
    expect(assessmentOf(cand(null))).toBeNull();
    expect(assessmentOf({} as CandidateView)).toBeNull();
  });
});

describe('pendingTasks (the Submit all dialog)', () => {
  it('names the tasks in progress and the ones never started, not the finished ones', () => {
    const tasks = [
      task(0, 'submitted', 'Triage'),
      task(1, 'started', 'Critique'),
      task(2, 'not_started', 'Design'),
      task(3, 'not_attempted', 'Old'),
    ];
    const p = pendingTasks(tasks);
    expect(p.inProgress.map((t) => t.title)).toEqual(['Critique']);
    expect(p.notStarted.map((t) => t.title)).toEqual(['Design']);
  });

  it('is empty when everything is submitted', () => {
    expect(pendingTasks([task(0, 'submitted'), task(1, 'submitted')])).toEqual({
      inProgress: [],
      notStarted: [],
    });
  });
});

describe('clock rule and numbering', () => {
  it('says in words whether one clock covers all tasks or each task has its own', () => {
    expect(clockRule(view({ timeLimitMinutes: 120 }))).toMatch(
      /^One clock of 2 hours for all 2 tasks\. It starts when you press Start/,
    );
    expect(clockRule(view({ timeLimitMinutes: 120 }))).toMatch(/never opened count as not attempted/);
    expect(clockRule(view({ clock: 'per-task' }))).toMatch(/^Each task has its own time limit/);
    expect([minutes(1), minutes(45), minutes(60), minutes(90)]).toEqual([
      '1 minute',
      '45 minutes',
      '1 hour',
      '90 minutes',
    ]);
  });

  it('finds the previous and next task by list order, not by position number', () => {
    const a = view({ tasks: [task(0, 'started'), task(1, 'started'), task(2, 'started')] });
    expect(neighbours(a, 0)).toMatchObject({ index: 0, prev: null, next: { position: 1 } });
    expect(neighbours(a, 1)).toMatchObject({ index: 1, prev: { position: 0 }, next: { position: 2 } });
    expect(neighbours(a, 2)).toMatchObject({ index: 2, prev: { position: 1 }, next: null });
  });
});
