/**
 * What the candidate app decides about a multi-task assessment (issue #14), kept apart from the pages
 * so it can be tested without a browser: which page to show, what the clock rule says in plain words,
 * and which tasks a "Submit all" would leave unsubmitted or never started.
 */
import type { CandidateAssessment, CandidateView } from './api.ts';

/** The assessment part of GET /api/candidate (null for a single-task invitation). */
export type AssessmentView = CandidateAssessment;

/** The invitation's assessment, or null for a single-task invitation (which looks exactly as before). */
export const assessmentOf = (cand: CandidateView): AssessmentView | null => cand.assessment ?? null;
export type AssessmentTask = AssessmentView['tasks'][number];

export const KIND_LABEL: Record<AssessmentTask['kind'], string> = {
  code: 'Code',
  critique: 'Critique',
  written: 'Written',
};

/** A task is finished when nothing more can be done in it. */
export const finished = (t: AssessmentTask) => t.status === 'submitted' || t.status === 'not_attempted';

/**
 * The assessment is over for the candidate: Submit all pressed, every task finished, or the overall
 * clock ran out (the server's sweeper submits the started tasks; this page must not wait for it).
 */
export function isOver(a: AssessmentView, now: number): boolean {
  if (a.submittedAll || a.tasks.every(finished)) return true;
  return a.clock === 'overall' && a.deadlineAt !== null && now >= a.deadlineAt;
}

export type AssessmentPage =
  | { page: 'intro' }
  | { page: 'overview' }
  | { page: 'final' }
  /** The task at `position`: its landing page (per-task clock, not started) or its workspace. */
  | { page: 'task'; position: number };

/** Which page an assessment invitation shows, from the candidate view alone (so a reload lands there too). */
export function assessmentPage(cand: CandidateView, now: number): AssessmentPage {
  const a = assessmentOf(cand)!;
  if (isOver(a, now)) return { page: 'final' };
  if (a.startedAt === null) return { page: 'intro' };
  if (a.current === null) return { page: 'overview' };
  const task = a.tasks.find((t) => t.position === a.current);
  // A finished task has nothing to open: back to the list.
  if (!task || finished(task)) return { page: 'overview' };
  return { page: 'task', position: task.position };
}

/** The clock rule, in plain words, for the intro page and the overview. */
export function clockRule(a: Pick<AssessmentView, 'clock' | 'timeLimitMinutes' | 'tasks'>): string {
  const n = a.tasks.length;
  if (a.clock === 'overall')
    return (
      `One clock of ${minutes(a.timeLimitMinutes ?? 0)} for all ${n} tasks. It starts when you press Start ` +
      `and keeps running while you move between tasks or close the tab. When it runs out, every task you ` +
      `opened is submitted as it is; tasks you never opened count as not attempted.`
    );
  return (
    `Each task has its own time limit. A task's clock starts when you start that task and keeps running ` +
    `if you close the tab; at its limit that task is submitted for you. You can do the tasks in any order.`
  );
}

export function minutes(m: number): string {
  if (m >= 60 && m % 60 === 0) return `${m / 60} hour${m === 60 ? '' : 's'}`;
  return `${m} minute${m === 1 ? '' : 's'}`;
}

export const STATUS_LABEL: Record<AssessmentTask['status'], string> = {
  not_started: 'Not started',
  started: 'In progress',
  submitted: 'Submitted',
  not_attempted: 'Not attempted',
};

/**
 * What "Submit all" would do, for its confirm dialog: tasks in progress (submitted as they are) and
 * tasks never started (they will count as not attempted). Finished tasks are not mentioned.
 */
export function pendingTasks(tasks: readonly AssessmentTask[]): {
  inProgress: AssessmentTask[];
  notStarted: AssessmentTask[];
} {
  return {
    inProgress: tasks.filter((t) => t.status === 'started'),
    notStarted: tasks.filter((t) => t.status === 'not_started'),
  };
}

/** "Task 2 of 3" numbering is 1-based over the ordered list; neighbours for previous / next. */
export function neighbours(a: AssessmentView, position: number) {
  const i = a.tasks.findIndex((t) => t.position === position);
  return {
    index: i,
    prev: i > 0 ? a.tasks[i - 1]! : null,
    next: i >= 0 && i < a.tasks.length - 1 ? a.tasks[i + 1]! : null,
  };
}
