/** The submitted files, each shown as a diff against the starter file of the same path. */
import { useEffect, useState } from 'preact/hooks';
import { api, fileUrl, type FileBody, type FileInfo } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { DiffView } from './diff-view.tsx';
import { Reveal, revealText } from '../../lib/reveal.tsx';

export function Files({ attemptId }: { attemptId: string }) {
  const files = useGet<{ files: FileInfo[] }>(`/api/attempts/${attemptId}/files`);
  const starter = useGet<{ files: { path: string; content: string }[] }>(
    `/api/attempts/${attemptId}/starter`,
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [body, setBody] = useState<FileBody | null>(null);

  const current = files.data?.files ?? [];
  const start = starter.data?.files ?? [];
  const paths = [...new Set([...current.map((f) => f.path), ...start.map((f) => f.path)])].sort();
  // Open on the first file the candidate changed (or added), not on an untouched starter file.
  const changed = paths.find((p) => {
    const f = current.find((x) => x.path === p);
    return !f || f.revision > 1 || !start.some((s) => s.path === p);
  });
  const sel = selected ?? changed ?? paths[0] ?? null;
  const inSubmission = current.some((f) => f.path === sel);

  const ready = Boolean(files.data && starter.data);
  useEffect(() => {
    setBody(null);
    if (!ready || !sel || !inSubmission) return;
    let live = true; // a slower answer for a previously selected file must not land here
    void api<FileBody>('GET', fileUrl(attemptId, sel)).then((b) => live && setBody(b));
    return () => {
      live = false;
    };
  }, [sel, inSubmission, attemptId, ready]);

  if (files.error || starter.error) return <p class="error">{files.error ?? starter.error}</p>;
  if (!files.data || !starter.data) return <p aria-busy="true">Loading files…</p>;
  const before = start.find((f) => f.path === sel)?.content ?? null;
  const status = (p: string) => {
    const s = start.find((f) => f.path === p);
    if (!current.some((f) => f.path === p)) return 'deleted';
    return s ? 'starter' : 'new';
  };
  return (
    <div class="files-view">
      <nav aria-label="Files" class="file-list">
        <ul>
          {paths.map((p) => (
            <li key={p}>
              <button
                type="button"
                aria-current={p === sel ? 'true' : undefined}
                class={p === sel ? 'active' : ''}
                onClick={() => setSelected(p)}
                data-testid="file-item"
              >
                <code>
                  <Reveal text={p} />
                </code>{' '}
                {status(p) !== 'starter' && <span class="small muted">({status(p)})</span>}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div class="file-body">
        {sel && !inSubmission && (
          <DiffView before={before} after={null} label={`${revealText(sel)} against the starter`} />
        )}
        {sel && inSubmission && body?.path !== sel && (
          <p aria-busy="true">
            Loading <Reveal text={sel} />…
          </p>
        )}
        {sel && body?.path === sel && body.encoding === 'base64' && (
          <p class="muted">
            <Reveal text={sel} /> is a binary file ({body.size} bytes).
          </p>
        )}
        {sel && body?.path === sel && body.encoding === 'utf8' && (
          <DiffView before={before} after={body.content} label={`${revealText(sel)} against the starter`} />
        )}
      </div>
    </div>
  );
}
