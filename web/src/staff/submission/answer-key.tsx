/**
 * For critique tasks with an answer key: which planted flaws the candidate's annotations found,
 * whether they used the right category, the extra flags (on correct statements, defensible, other)
 * and recall/precision. A guide for the rubric, not a score: the explanation is what counts.
 */
import { useGet } from '../hooks.ts';
import type { AnswerKeyComparison } from '../types.ts';

type Comparison = AnswerKeyComparison;
type KeyAnnotation = Comparison['flaws'][number]['annotations'][number];

const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`);

const KIND = {
  notFlaw: { label: 'correct statement', pill: 'pill-failed', hint: 'counts against precision' },
  defensible: { label: 'defensible', pill: 'pill-draft', hint: 'neutral' },
  other: { label: 'other', pill: '', hint: 'not in the key: judge it yourself' },
} as const;

function Comments({ list }: { list: KeyAnnotation[] }) {
  if (!list.length) return <em class="muted">—</em>;
  return (
    <ul class="plain">
      {list.map((a) => (
        <li key={a.id}>
          <span class="pill">{a.category}</span> {a.comment || <em class="muted">no comment</em>}
        </li>
      ))}
    </ul>
  );
}

export function AnswerKey({ attemptId }: { attemptId: string }) {
  const r = useGet<Comparison>(`/api/attempts/${attemptId}/answer-key`);
  if (r.status === 404) return null; // the task has no answer key
  if (r.error) return <p class="error">Answer key: {r.error}</p>;
  if (!r.data) return <p aria-busy="true">Loading the answer key…</p>;
  const { flaws, extras, summary, problems } = r.data;
  return (
    <section aria-label="Answer key comparison" data-testid="answer-key">
      <h3>Answer key</h3>
      <p data-testid="answer-key-summary">
        Found <strong>{summary.found}</strong> of {summary.planted} planted flaws (recall{' '}
        <strong>{pct(summary.recall)}</strong>), {summary.categoryMatched} with a matching category.{' '}
        {summary.onPlanted} of {summary.annotations - summary.defensible} judged annotations are on a planted
        flaw (precision <strong>{pct(summary.precision)}</strong>; defensible flags are left out).
      </p>
      <p class="muted small">
        Matched by position: an annotation counts when it overlaps a flaw&apos;s span. Read the comment before
        crediting it.
      </p>
      {problems.length > 0 && (
        <p class="error" role="alert">
          Some spans of {r.data.answerKey} could not be located: {problems.join('; ')}
        </p>
      )}
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Flaw</th>
            <th scope="col">Category</th>
            <th scope="col">Found</th>
            <th scope="col">Category match</th>
            <th scope="col">Candidate&apos;s comment</th>
          </tr>
        </thead>
        <tbody>
          {flaws.map((f) => (
            <tr key={f.id} data-testid="key-flaw">
              <td>
                <code>{f.id}</code>
                {f.severity && <span class="muted small"> {f.severity}</span>}
                {f.why && (
                  <details>
                    <summary class="small">Why it is wrong</summary>
                    <p class="small">{f.why}</p>
                  </details>
                )}
              </td>
              <td>
                {f.category}
                {f.acceptAlso.length > 0 && <span class="muted small"> (or {f.acceptAlso.join(', ')})</span>}
              </td>
              <td>
                <span class={`pill ${f.found ? 'pill-passed' : 'pill-failed'}`}>
                  {f.found ? 'found' : 'missed'}
                </span>
              </td>
              <td>{f.found ? (f.categoryMatch ? 'yes' : 'no') : '—'}</td>
              <td>
                <Comments list={f.annotations} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Extra flags ({extras.length})</h4>
      {extras.length === 0 ? (
        <p class="muted">Every annotation is on a planted flaw.</p>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Quote</th>
              <th scope="col">Candidate&apos;s comment</th>
              <th scope="col">Key note</th>
            </tr>
          </thead>
          <tbody>
            {extras.map((e) => (
              <tr key={e.annotation.id} data-testid="key-extra">
                <td>
                  <span class={`pill ${KIND[e.kind].pill}`} title={KIND[e.kind].hint}>
                    {KIND[e.kind].label}
                  </span>
                </td>
                <td>“{e.annotation.quote}”</td>
                <td>
                  <Comments list={[e.annotation]} />
                </td>
                <td class="small">{e.note ?? <em class="muted">—</em>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
