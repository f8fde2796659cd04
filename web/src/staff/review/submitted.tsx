/** The reviewer's own review once submitted (read-only). */
import { RECOMMENDATIONS, fmtTime, type ReviewPage } from '../types.ts';

export function SubmittedReview({ page }: { page: ReviewPage }) {
  const r = page.myReview!;
  return (
    <section class="my-review" aria-labelledby="mine-h" data-testid="my-review">
      <h2 id="mine-h">Your review (submitted {fmtTime(r.submittedAt)})</h2>
      <ul class="small">
        {page.rubric.map((c) => (
          <li key={c.id}>
            {c.title}: level {r.levels[c.id]?.level ?? '—'}
          </li>
        ))}
        <li>Recommendation: {r.recommendation ? RECOMMENDATIONS[r.recommendation - 1] : '—'}</li>
      </ul>
    </section>
  );
}
