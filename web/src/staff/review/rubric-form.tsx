/**
 * The blind rubric form: a level (1–4, anchored descriptors shown) and written evidence per
 * criterion, an overall recommendation and private notes. Save as draft any time; submitting is
 * final and asks for confirmation first.
 */
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.ts';
import { RECOMMENDATIONS, type ReviewLevels, type ReviewPage } from '../types.ts';
import { formatTimeOfDay } from '../../lib/time.ts';

function problemsOf(page: ReviewPage, levels: ReviewLevels, rec: number | null): string[] {
  const out: string[] = [];
  for (const c of page.rubric) {
    if (!levels[c.id]?.level) out.push(`${c.title}: pick a level`);
    else if (!levels[c.id]!.evidence.trim()) out.push(`${c.title}: write the evidence for your level`);
  }
  if (rec === null) out.push('Recommendation: pick one');
  return out;
}

export function RubricForm({ page, onChanged }: { page: ReviewPage; onChanged(p: ReviewPage): void }) {
  const mine = page.myReview;
  const [levels, setLevels] = useState<ReviewLevels>(mine?.levels ?? {});
  const [rec, setRec] = useState<number | null>(mine?.recommendation ?? null);
  const [notes, setNotes] = useState(mine?.notes ?? '');
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [tried, setTried] = useState(false);
  const [serverProblems, setServerProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);

  const set = (id: string, patch: Partial<{ level: number; evidence: string; shareable: boolean }>) =>
    setLevels((l) => ({ ...l, [id]: { level: 0, evidence: '', ...l[id], ...patch } }));
  // Only complete picks go to the server: a criterion with evidence but no level yet stays local.
  const body = () => ({
    levels: Object.fromEntries(Object.entries(levels).filter(([, v]) => v.level >= 1)),
    recommendation: rec,
    notes,
  });

  const save = async (): Promise<ReviewPage | null> => {
    setBusy(true);
    try {
      const p = await api<ReviewPage>('PUT', `/api/reviews/${page.attemptId}/mine`, body());
      setMsg({ kind: 'ok', text: `Draft saved at ${formatTimeOfDay(Date.now())}.` });
      return p;
    } catch (e) {
      setMsg({ kind: 'error', text: e instanceof Error ? e.message : String(e) });
      return null;
    } finally {
      setBusy(false);
    }
  };

  // Once the reviewer has tried to submit, the list of what is missing updates as they fix it.
  const problems = tried ? [...problemsOf(page, levels, rec), ...serverProblems] : [];

  const askSubmit = () => {
    setTried(true);
    setServerProblems([]);
    if (problemsOf(page, levels, rec).length) {
      setMsg({ kind: 'error', text: 'The review is incomplete.' });
      return;
    }
    dialog.current?.showModal();
  };

  const submit = async () => {
    dialog.current?.close();
    if (!(await save())) return;
    setBusy(true);
    try {
      onChanged(await api<ReviewPage>('POST', `/api/reviews/${page.attemptId}/mine/submit`));
    } catch (e) {
      const d = e instanceof ApiError ? (e.details?.problems as string[] | undefined) : undefined;
      if (d) setServerProblems(d);
      setMsg({ kind: 'error', text: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="rubric" data-testid="rubric-form" onSubmit={(e) => (e.preventDefault(), askSubmit())}>
      <h2>Your review</h2>
      <p class="small muted">
        Independent: other reviews stay hidden until you submit yours. Pick the level whose description fits
        best, and quote or point to what in the submission shows it.
      </p>
      {page.rubric.map((c) => {
        const v = levels[c.id];
        const missingEvidence = problems.some((p) => p.startsWith(`${c.title}:`));
        return (
          <fieldset key={c.id} class="criterion" data-testid={`criterion-${c.id}`}>
            <legend>
              {c.title} {c.weight !== undefined && <span class="muted small">(weight {c.weight})</span>}
            </legend>
            {c.description && <p class="small muted">{c.description}</p>}
            <div class="levels-pick" role="radiogroup" aria-label={`${c.title} level`}>
              {Object.entries(c.levels)
                .sort(([a], [b]) => Number(a) - Number(b))
                .map(([n, text]) => (
                  <label key={n} class={`level${v?.level === Number(n) ? ' picked' : ''}`}>
                    <input
                      type="radio"
                      name={`level-${c.id}`}
                      value={n}
                      checked={v?.level === Number(n)}
                      data-testid={`level-${c.id}-${n}`}
                      onChange={() => set(c.id, { level: Number(n) })}
                    />
                    <span class="level-n">{n}</span>
                    <span class="level-text">{text}</span>
                  </label>
                ))}
            </div>
            <label for={`evidence-${c.id}`}>Evidence (required)</label>
            <textarea
              id={`evidence-${c.id}`}
              rows={3}
              data-testid={`evidence-${c.id}`}
              aria-invalid={missingEvidence || undefined}
              value={v?.evidence ?? ''}
              onInput={(e) => set(c.id, { evidence: e.currentTarget.value })}
            />
            <label class="share">
              <input
                type="checkbox"
                data-testid={`share-${c.id}`}
                checked={v?.shareable ?? false}
                onChange={(e) => set(c.id, { shareable: e.currentTarget.checked })}
              />{' '}
              This evidence may appear in the candidate's feedback report
            </label>
          </fieldset>
        );
      })}
      <fieldset class="criterion">
        <legend>Overall recommendation</legend>
        <div class="rec-pick" role="radiogroup" aria-label="Overall recommendation">
          {RECOMMENDATIONS.map((label, i) => (
            <label key={label} class={`rec${rec === i + 1 ? ' picked' : ''}`}>
              <input
                type="radio"
                name="recommendation"
                value={i + 1}
                checked={rec === i + 1}
                data-testid={`rec-${i + 1}`}
                onChange={() => setRec(i + 1)}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <label for="notes">Private notes (only you and admins see these)</label>
      <textarea
        id="notes"
        rows={3}
        data-testid="notes"
        value={notes}
        onInput={(e) => setNotes(e.currentTarget.value)}
      />
      {problems.length > 0 && (
        <ul class="field-error" role="alert" data-testid="problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {msg && (
        <p class={msg.kind === 'ok' ? 'small muted' : 'field-error'} role="status" data-testid="form-msg">
          {msg.text}
        </p>
      )}
      <div class="row end">
        <button type="button" disabled={busy} onClick={() => void save()} data-testid="save-draft">
          Save draft
        </button>
        <button type="submit" class="primary" disabled={busy} data-testid="submit-review">
          Submit review…
        </button>
      </div>
      <dialog ref={dialog} class="modal" aria-labelledby="confirm-h" data-testid="confirm-dialog">
        <h2 id="confirm-h">Submit your review?</h2>
        <p>
          A submitted review is final: you cannot change it afterwards. You will then see the other reviews.
        </p>
        <div class="row end">
          <button type="button" onClick={() => dialog.current?.close()} autoFocus>
            Keep editing
          </button>
          <button type="button" class="primary" onClick={() => void submit()} data-testid="confirm-review">
            Submit
          </button>
        </div>
      </dialog>
    </form>
  );
}
