/** All submitted reviews side by side; criteria where reviewers are far apart are highlighted. */
import { RECOMMENDATIONS, type Consolidated, type ReviewPage } from '../types.ts';
import { Icon } from '../../ui/icons.tsx';

export function ConsolidationView({ page, all }: { page: ReviewPage; all: Consolidated }) {
  const flagged = new Map(all.disagreements.map((d) => [d.criterion, d]));
  return (
    <section class="consolidation" aria-labelledby="cons-h" data-testid="consolidation">
      <h2 id="cons-h">All reviews</h2>
      <p class="small muted">
        {page.progress.submitted} of {page.progress.assigned} assigned reviews submitted. Rows where levels
        differ by 2 or more are highlighted.
      </p>
      <div class="scroll-x">
        <table class="grid side-by-side">
          <thead>
            <tr>
              <th scope="col">Criterion</th>
              {all.reviews.map((r) => (
                <th scope="col" key={r.reviewer.id}>
                  {r.reviewer.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page.rubric.map((c) => {
              const d = flagged.get(c.id);
              return (
                <tr
                  key={c.id}
                  class={d?.flagged ? 'disagree' : ''}
                  data-testid={`cons-${c.id}`}
                  data-flagged={d?.flagged ? 'true' : 'false'}
                >
                  <th scope="row">
                    {c.title}
                    {d?.flagged && (
                      <span class="flag" data-testid="disagreement">
                        <Icon name="warn" /> Disagreement (spread {d.spread})
                      </span>
                    )}
                  </th>
                  {all.reviews.map((r) => {
                    const v = r.levels[c.id];
                    return (
                      <td key={r.reviewer.id}>
                        {v ? (
                          <>
                            <strong class="lvl">Level {v.level}</strong>
                            <span class="small muted"> — {c.levels[v.level as keyof typeof c.levels]}</span>
                            <p class="evidence">{v.evidence}</p>
                          </>
                        ) : (
                          <em class="muted">—</em>
                        )}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            <tr>
              <th scope="row">Recommendation</th>
              {all.reviews.map((r) => (
                <td key={r.reviewer.id}>{r.recommendation ? RECOMMENDATIONS[r.recommendation - 1] : '—'}</td>
              ))}
            </tr>
            <tr>
              <th scope="row">Weighted score</th>
              {all.reviews.map((r) => (
                <td key={r.reviewer.id}>{r.score === null ? '—' : `${Math.round(r.score)} / 100`}</td>
              ))}
            </tr>
            {all.reviews.some((r) => r.notes) && (
              <tr>
                <th scope="row">Private notes</th>
                {all.reviews.map((r) => (
                  <td key={r.reviewer.id} class="small">
                    {r.notes ?? ''}
                  </td>
                ))}
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
