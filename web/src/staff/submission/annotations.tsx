/**
 * For critique tasks: the candidate's annotations (critique/annotations.json in the workspace) drawn
 * over the model outputs they critiqued, with the list of comments, the answer-key comparison (when the
 * task has a key) and their answers to the questions.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, fileUrl, type FileBody, type Materials } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { AnswerKey } from './answer-key.tsx';

interface Annotation {
  id: string;
  output: string;
  start: number;
  end: number;
  quote: string;
  category: string;
  comment: string;
}

async function workspaceJson<T>(
  attemptId: string,
  path: string,
  pick: (v: unknown) => T,
  empty: T,
): Promise<T> {
  try {
    return pick(JSON.parse((await api<FileBody>('GET', fileUrl(attemptId, path))).content));
  } catch {
    return empty; // not written (404) or not valid JSON: show nothing rather than fail the page
  }
}

/** The output text split at annotation boundaries; each piece knows which annotations cover it. */
function segments(text: string, list: Annotation[]) {
  const cuts = [...new Set([0, text.length, ...list.flatMap((a) => [a.start, a.end])])]
    .map((x) => Math.max(0, Math.min(text.length, x)))
    .sort((a, b) => a - b);
  const out: { text: string; nums: number[] }[] = [];
  for (let i = 0; i < cuts.length - 1; i++) {
    const s = cuts[i]!;
    const e = cuts[i + 1]!;
    if (e <= s) continue;
    out.push({
      text: text.slice(s, e),
      nums: list.flatMap((a, n) => (a.start <= s && a.end >= e ? [n + 1] : [])),
    });
  }
  return out;
}

export function Annotations({ attemptId }: { attemptId: string }) {
  const m = useGet<Materials>(`/api/attempts/${attemptId}/materials`);
  const [list, setList] = useState<Annotation[] | null>(null);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  useEffect(() => {
    void workspaceJson(
      attemptId,
      'critique/annotations.json',
      (v) =>
        ((v as { annotations?: Annotation[] }).annotations ?? []).filter((a) => typeof a.start === 'number'),
      [] as Annotation[],
    ).then(setList);
    void workspaceJson(
      attemptId,
      'critique/answers.json',
      (v) => (v as { answers?: Record<string, string> }).answers ?? {},
      {},
    ).then(setAnswers);
  }, [attemptId]);
  if (m.error) return <p class="error">{m.error}</p>;
  if (!m.data || !list) return <p aria-busy="true">Loading…</p>;
  return (
    <div data-testid="annotations">
      <p class="muted small">
        {list.length} annotation{list.length === 1 ? '' : 's'}. Highlighted spans carry the number of the
        comment that covers them.
      </p>
      {m.data.outputs.map((o) => {
        const mine = list.filter((a) => a.output === o.path).sort((a, b) => a.start - b.start);
        return (
          <section key={o.path} class="critique-output" aria-label={`Output ${o.path}`}>
            <h3>
              <code>{o.path}</code>
            </h3>
            <pre class="out annotated">
              {segments(o.content, mine).map((s, i) =>
                s.nums.length ? (
                  <mark key={i} title={s.nums.map((n) => `#${n} ${mine[n - 1]!.category}`).join(', ')}>
                    {s.text}
                    <sup>{s.nums.join(',')}</sup>
                  </mark>
                ) : (
                  <span key={i}>{s.text}</span>
                ),
              )}
            </pre>
            <ol class="annotation-notes">
              {mine.map((a) => (
                <li key={a.id} data-testid="annotation-note">
                  <span class="pill">{a.category}</span> “{a.quote}” — {a.comment}
                </li>
              ))}
            </ol>
          </section>
        );
      })}
      <AnswerKey attemptId={attemptId} />
      {m.data.questions.length > 0 && (
        <section aria-label="Answers">
          <h3>Answers</h3>
          <dl class="answers">
            {m.data.questions.map((q) => (
              <div key={q.id}>
                <dt>{q.prompt}</dt>
                <dd>
                  {answers[q.id]?.trim() ? (
                    <pre class="prose">{answers[q.id]}</pre>
                  ) : (
                    <em class="muted">No answer.</em>
                  )}
                </dd>
              </div>
            ))}
          </dl>
        </section>
      )}
    </div>
  );
}
