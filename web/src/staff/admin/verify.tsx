/**
 * "Verify this task" on the admin task page: checks the package's files, runs the visible tests and
 * the starter, grades the reference solution, the starter, each wrong solution and the tamper
 * corpus in real sandboxes on the server, and shows the rows grouped (static, visible tests,
 * starter, hidden tests, tamper). The server runs one verification at a time and answers 409 while
 * another is running.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, NetworkError } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import type { TaskVersion, VerifyGroup, VerifyResult } from '../types.ts';

/** Table sections, in the order the checks build on each other. */
const GROUPS: Array<{ group: VerifyGroup; title: string }> = [
  { group: 'static', title: 'Static checks' },
  { group: 'visible', title: 'Visible tests' },
  { group: 'starter', title: 'Starter' },
  { group: 'hidden', title: 'Hidden tests' },
  { group: 'tamper', title: 'Tamper corpus (each must score no better than the starter)' },
];

/** Turns a failed verify call into a sentence the author can act on. */
function explain(e: unknown): string {
  if (e instanceof ApiError && e.status === 409)
    return 'Another verification is already running on the server. Try again when it has finished.';
  if (e instanceof ApiError && e.status === 404) return `Not found: ${e.message}`;
  if (e instanceof ApiError) return `Verification failed (${e.status}): ${e.message}`;
  if (e instanceof NetworkError) return `Could not reach the server: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export function VerifyPanel({ slug }: { slug: string }) {
  const vers = useGet<{ versions: TaskVersion[] }>(`/api/tasks/${encodeURIComponent(slug)}/versions`);
  const versions = vers.data?.versions ?? [];
  const [version, setVersion] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<VerifyResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Newest version first (the server lists them so); default to it once loaded.
  useEffect(() => {
    if (version === null && versions[0]) setVersion(versions[0].version);
  }, [versions[0]?.version]);

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(
        await api<VerifyResult>('POST', `/api/tasks/${encodeURIComponent(slug)}/verify`, {
          ...(version === null ? {} : { version }),
        }),
      );
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  const failing = result?.checks.filter((c) => !c.ok).length ?? 0;
  return (
    <section class="card verify" aria-labelledby="ver-h" aria-busy={busy} data-testid="verify">
      <h2 id="ver-h">Verify</h2>
      <p class="small muted">
        Checks the manifest, rubric, answer key and the files the task names; runs the visible tests on the
        reference solution and the starter’s demo; checks that the reference solution passes while the starter
        and every wrong solution fail the hidden tests; and submits standard tampering (exit at import, no-op
        assertions, forged reports, …) that must score no better than the starter.
      </p>
      {vers.error && <p class="error">{vers.error}</p>}
      <div class="row">
        {versions.length > 1 && (
          <label class="small">
            Version{' '}
            <select
              value={version ?? ''}
              disabled={busy}
              data-testid="verify-version"
              onChange={(e) => setVersion(Number(e.currentTarget.value))}
            >
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          class="primary"
          disabled={busy || version === null}
          data-testid="verify-run"
          onClick={() => void run()}
        >
          Verify this task{version !== null && ` (v${version})`}
        </button>
      </div>
      <p role="status" class="small" data-testid="verify-status">
        {busy &&
          'Grading the reference solution, the starter, each wrong solution and the tamper corpus in sandboxes…'}
        {result &&
          (result.ok
            ? `v${result.version}: all ${result.checks.length} checks pass.`
            : `v${result.version}: ${failing} of ${result.checks.length} checks fail.`)}
      </p>
      {error && (
        <p class="error" role="alert" data-testid="verify-error">
          {error}
        </p>
      )}
      {result && (
        <table class="grid" data-testid="verify-checks">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Result</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          {GROUPS.map(({ group, title }) => {
            const rows = result.checks.filter((c) => (c.group ?? 'static') === group);
            if (!rows.length) return null;
            const bad = rows.filter((c) => !c.ok).length;
            return (
              <tbody key={group} data-testid="verify-group" data-group={group}>
                <tr class="verify-group">
                  <th scope="colgroup" colSpan={3}>
                    {title}{' '}
                    <span class="small muted">
                      {bad ? `${bad} of ${rows.length} fail` : `all ${rows.length} ok`}
                    </span>
                  </th>
                </tr>
                {rows.map((c) => (
                  <tr
                    key={c.check}
                    data-testid="verify-check"
                    data-group={group}
                    data-check={c.check}
                    data-ok={String(c.ok)}
                  >
                    <th scope="row">{c.check}</th>
                    <td>
                      <span class={`pill ${c.ok ? 'pill-passed' : 'pill-failed'}`}>
                        {c.ok ? 'ok' : 'FAIL'}
                      </span>
                    </td>
                    <td class="small verify-detail">{c.detail}</td>
                  </tr>
                ))}
              </tbody>
            );
          })}
        </table>
      )}
    </section>
  );
}
