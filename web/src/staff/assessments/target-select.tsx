/** The invite form's "Task or assessment" select: tasks and assessments in two groups. */
import { useGet } from '../hooks.ts';
import type { TaskSummary } from '../types.ts';
import { targetValue } from './target.ts';
import type { AssessmentListItem } from './types.ts';
import { minutes } from '../../lib/assessment.ts';

/** GET /api/assessments; an empty list while loading or when the server has none. */
export function useAssessments(): AssessmentListItem[] {
  return useGet<{ assessments: AssessmentListItem[] }>('/api/assessments').data?.assessments ?? [];
}

export function TargetSelect({
  tasks,
  assessments,
  value,
  onChange,
}: {
  tasks: TaskSummary[];
  assessments: AssessmentListItem[];
  value: string;
  onChange(v: string): void;
}) {
  return (
    <div>
      <label for="inv-task">Task or assessment</label>
      <select
        id="inv-task"
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        data-testid="inv-task"
      >
        <optgroup label="Tasks">
          {tasks.map((t) => (
            <option key={t.slug} value={targetValue({ kind: 'task', slug: t.slug })}>
              {t.title} (v{t.version})
            </option>
          ))}
        </optgroup>
        {assessments.length > 0 && (
          <optgroup label="Assessments (several tasks)">
            {assessments.map((a) => (
              <option key={a.slug} value={targetValue({ kind: 'assessment', slug: a.slug })}>
                {a.title} (v{a.version}) — {a.tasks.length} tasks,{' '}
                {a.clock === 'overall' ? `${minutes(a.timeLimitMinutes ?? 0)} in all` : 'a limit per task'}
              </option>
            ))}
          </optgroup>
        )}
      </select>
    </div>
  );
}
