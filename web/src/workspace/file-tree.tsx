/**
 * The file list: open, create, rename, delete. Path rules live on the server; its messages are
 * shown inline next to the field that caused them.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, NetworkError, type FileInfo } from '../lib/api.ts';
import type { Docs } from '../state/docs.ts';
import { Icon } from '../ui/icons.tsx';

function explain(e: unknown): string {
  if (e instanceof NetworkError) return 'You are offline. Try again when the connection is back.';
  if (e instanceof ApiError) return e.message;
  return String(e);
}

export function FileTree(props: {
  attemptId: string;
  docs: Docs;
  paths: string[];
  active: string | null;
  onOpen: (path: string) => void;
  onCreated: (path: string) => void;
  onRenamed: (from: string, to: string) => void;
  onDeleted: (path: string) => void;
}) {
  const { attemptId, docs } = props;
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [error, setError] = useState<{ at: string; message: string } | null>(null);

  const create = async (path: string) => {
    try {
      const { file } = await api<{ file: FileInfo }>('PUT', `/api/attempts/${attemptId}/file`, {
        path,
        content: '',
        baseRevision: 0,
      });
      docs.saver.known(file);
      docs.load(file.path, '');
      setCreating(false);
      setError(null);
      props.onCreated(file.path);
    } catch (e) {
      setError({ at: '+new', message: explain(e) });
    }
  };

  const rename = async (from: string, to: string) => {
    if (to === from) return setRenaming(null);
    try {
      await docs.saver.flush();
      const { file } = await api<{ file: FileInfo }>('POST', `/api/attempts/${attemptId}/file/rename`, {
        from,
        to,
        baseRevision: docs.saver.revision(from),
      });
      docs.saver.forget(from);
      docs.saver.known(file);
      docs.rename(from, file.path);
      setRenaming(null);
      setError(null);
      props.onRenamed(from, file.path);
    } catch (e) {
      setError({ at: from, message: explain(e) });
    }
  };

  const remove = async (path: string) => {
    if (!confirm(`Delete ${path}? This cannot be undone.`)) return;
    try {
      await docs.saver.flush();
      await api(
        'DELETE',
        `/api/attempts/${attemptId}/file?path=${encodeURIComponent(path)}&baseRevision=${docs.saver.revision(path)}`,
      );
      docs.saver.forget(path);
      docs.remove(path);
      setError(null);
      props.onDeleted(path);
    } catch (e) {
      setError({ at: path, message: explain(e) });
    }
  };

  return (
    <nav class="file-tree" aria-label="Files" data-testid="file-tree">
      <div class="panel-head">
        <h2>Files</h2>
        <button
          type="button"
          class="small"
          onClick={() => (setCreating(true), setError(null))}
          data-testid="new-file"
        >
          New file
        </button>
      </div>
      {creating && (
        <PathForm
          label="New file path"
          initial=""
          error={error?.at === '+new' ? error.message : null}
          onSubmit={create}
          onCancel={() => (setCreating(false), setError(null))}
        />
      )}
      <ul>
        {props.paths.map((p) =>
          renaming === p ? (
            <li key={p}>
              <PathForm
                label={`Rename ${p} to`}
                initial={p}
                error={error?.at === p ? error.message : null}
                onSubmit={(to) => rename(p, to)}
                onCancel={() => (setRenaming(null), setError(null))}
              />
            </li>
          ) : (
            <li key={p} class={p === props.active ? 'active' : ''}>
              <button
                type="button"
                class="file"
                aria-current={p === props.active ? 'true' : undefined}
                onClick={() => props.onOpen(p)}
              >
                {p}
              </button>
              <span class="file-actions">
                <button
                  type="button"
                  class="icon"
                  aria-label={`Rename ${p}`}
                  title="Rename"
                  onClick={() => (setRenaming(p), setError(null))}
                >
                  <Icon name="pencil" />
                </button>
                <button
                  type="button"
                  class="icon"
                  aria-label={`Delete ${p}`}
                  title="Delete"
                  onClick={() => void remove(p)}
                >
                  <Icon name="trash" />
                </button>
              </span>
              {error?.at === p && renaming !== p && (
                <p class="field-error" role="alert">
                  {error.message}
                </p>
              )}
            </li>
          ),
        )}
      </ul>
    </nav>
  );
}

function PathForm(props: {
  label: string;
  initial: string;
  error: string | null;
  onSubmit: (path: string) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState(props.initial);
  const id = `pf-${props.label.replace(/\W+/g, '-')}`;
  return (
    <form
      class="path-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(value.trim());
      }}
      onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}
    >
      <label for={id}>{props.label}</label>
      <input
        id={id}
        value={value}
        autoFocus
        spellcheck={false}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-err` : undefined}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        data-testid="path-input"
      />
      {props.error && (
        <p id={`${id}-err`} class="field-error" role="alert" data-testid="path-error">
          {props.error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="small primary">
          OK
        </button>
        <button type="button" class="small" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
