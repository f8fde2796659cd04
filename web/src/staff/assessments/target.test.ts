/** The invite form's task-or-assessment choice, as the API body, and the pipeline's assessment label. */
import { describe, expect, it } from 'vitest';
import type { TaskSummary } from '../types.ts';
import type { AssessmentListItem } from './types.ts';
import { assessmentLabel, parseTarget, percent, targetBody, targetValue, tasksOf } from './target.ts';

const tasks = [
  { slug: 'hello-llm', title: 'Hello', needs: 'llmTasks' },
  { slug: 'critique-support-bot', title: 'Critique', needs: 'nothing' },
  { slug: 'other', title: 'Other', needs: 'codeTasks' },
] as unknown as TaskSummary[];
const loop: AssessmentListItem = {
  slug: 'ai-engineer-loop',
  version: 1,
  assessmentVersionId: 'av1',
  title: 'AI engineer loop',
  clock: 'overall',
  timeLimitMinutes: 60,
  createdAt: 0,
  tasks: [
    { position: 0, taskSlug: 'hello-llm', title: 'Hello', kind: 'code', weight: 2, timeLimitMinutes: 15 },
    {
      position: 1,
      taskSlug: 'critique-support-bot',
      title: 'Critique',
      kind: 'critique',
      weight: 1,
      timeLimitMinutes: 30,
    },
  ],
};

describe('invite target', () => {
  it('round-trips through the select value and becomes exactly one of taskSlug / assessmentSlug', () => {
    const t = parseTarget(targetValue({ kind: 'assessment', slug: 'ai-engineer-loop' }))!;
    expect(targetBody(t)).toEqual({ assessmentSlug: 'ai-engineer-loop' });
    expect(targetBody(parseTarget('task:hello-llm')!)).toEqual({ taskSlug: 'hello-llm' });
    expect(parseTarget('')).toBeNull();
    expect(parseTarget('hello-llm')).toBeNull();
  });

  it("checks every task of an assessment against the deployment's capabilities", () => {
    expect(tasksOf(parseTarget('assessment:ai-engineer-loop'), tasks, [loop]).map((t) => t.slug)).toEqual([
      'hello-llm',
      'critique-support-bot',
    ]);
    expect(tasksOf(parseTarget('task:other'), tasks, [loop]).map((t) => t.slug)).toEqual(['other']);
    expect(tasksOf(null, tasks, [loop])).toEqual([]);
  });

  it('labels a pipeline row "title · task n/count" and scores as percentages', () => {
    expect(assessmentLabel({ title: 'AI engineer loop', position: 1, count: 2 })).toBe(
      'AI engineer loop · 2/2',
    );
    expect([percent(0.756), percent(0), percent(null)]).toEqual(['76%', '0%', '—']);
  });
});
