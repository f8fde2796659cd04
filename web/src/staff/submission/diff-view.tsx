/** A unified diff with old/new line numbers; unchanged stretches fold to "N unchanged lines". */
import { useMemo } from 'preact/hooks';
import { diffLines, hunks } from './diff.ts';
import { Reveal } from '../../lib/reveal.tsx';

export function DiffView({
  before,
  after,
  label,
}: {
  before: string | null;
  after: string | null;
  label: string;
}) {
  const lines = useMemo(() => diffLines(before ?? '', after ?? ''), [before, after]);
  const parts = useMemo(() => hunks(lines), [lines]);
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;
  return (
    <figure class="diff" aria-label={label} data-testid="diff">
      <figcaption class="small muted">
        {before === null
          ? 'New file (not in the starter)'
          : after === null
            ? 'Deleted (only in the starter)'
            : 'Against the starter'}
        {' · '}
        <span class="add-ink">+{added}</span> <span class="del-ink">−{removed}</span>
        {added + removed === 0 && ' · unchanged'}
      </figcaption>
      <table>
        <tbody>
          {parts.map((h, i) =>
            'skipped' in h ? (
              <tr key={i} class="fold">
                <td colSpan={4}>
                  ⋯ {h.skipped} unchanged line{h.skipped === 1 ? '' : 's'}
                </td>
              </tr>
            ) : (
              h.lines.map((l, j) => (
                <tr key={`${i}-${j}`} class={`d-${l.kind}`}>
                  <td class="ln">{'a' in l ? l.a : ''}</td>
                  <td class="ln">{'b' in l ? l.b : ''}</td>
                  <td class="mark" aria-hidden="true">
                    {l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : ' '}
                  </td>
                  <td class="code">
                    <span class="sr-only">
                      {l.kind === 'add' ? 'added: ' : l.kind === 'del' ? 'removed: ' : ''}
                    </span>
                    <Reveal text={l.text} />
                  </td>
                </tr>
              ))
            ),
          )}
        </tbody>
      </table>
    </figure>
  );
}
