/** The integrity signals line in a submission's header (see ./integrity.ts for the wording). */
import { useGet } from '../hooks.ts';
import type { TimelineEvent } from '../types.ts';
import { integrityFacts, integrityLines } from './integrity.ts';

export function IntegritySummary({ attemptId }: { attemptId: string }) {
  const { data } = useGet<{ events: TimelineEvent[] }>(`/api/attempts/${attemptId}/events`);
  if (!data) return null;
  const lines = integrityLines(integrityFacts(data.events));
  return (
    <p class="note small integrity" data-testid="integrity-summary">
      <strong>Signals:</strong>{' '}
      {lines.length
        ? `${lines.join(' · ')}. The moments are on the replay timeline; ask about them rather than assume.`
        : 'no large pastes, no time away from the page, one browser.'}
    </p>
  );
}
