/** The annotation form (new or edit) and the list of annotations. */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Annotation } from './annotations.ts';

export function Draft(props: {
  quote: string;
  categories: string[];
  initial?: { category: string; comment: string };
  onSave: (category: string, comment: string) => void;
  onCancel: () => void;
}) {
  const [category, setCategory] = useState(props.initial?.category ?? props.categories[0] ?? 'other');
  const [comment, setComment] = useState(props.initial?.comment ?? '');
  const [id] = useState(() => Math.random().toString(36).slice(2, 8));
  const first = useRef<HTMLSelectElement>(null);
  // The form's first field takes focus, so a keyboard user lands in it (autofocus is unreliable on
  // elements added after page load).
  useLayoutEffect(() => first.current?.focus(), []);
  return (
    <form
      class="draft"
      data-testid="annotation-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave(category, comment.trim());
      }}
      aria-label={props.initial ? 'Edit annotation' : 'New annotation'}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onCancel();
        // Ctrl/⌘+Enter saves from the comment box, where Enter is a new line.
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          props.onSave(category, comment.trim());
        }
      }}
    >
      <blockquote>{props.quote.length > 240 ? props.quote.slice(0, 240) + '…' : props.quote}</blockquote>
      <label for={`cat-${id}`}>Category</label>
      <select
        id={`cat-${id}`}
        ref={first}
        value={category}
        onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}
        data-testid="annotation-category"
      >
        {props.categories.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <label for={`com-${id}`}>What is wrong, and how would you fix it?</label>
      <textarea
        id={`com-${id}`}
        rows={4}
        value={comment}
        onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
        data-testid="annotation-comment"
      />
      <div class="row">
        <button type="submit" class="primary small" data-testid="annotation-save">
          Save annotation
        </button>
        <button type="button" class="small" onClick={props.onCancel}>
          Cancel
        </button>
        <span class="muted small">
          <kbd>Ctrl</kbd>+<kbd>Enter</kbd> saves · <kbd>Esc</kbd> cancels
        </span>
      </div>
    </form>
  );
}

export function AnnotationList(props: {
  list: Annotation[];
  categories: string[];
  focus: string | null;
  onChange: (next: Annotation[]) => void;
  onShow: (a: Annotation) => void;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  if (!props.list.length)
    return <p class="muted">No annotations yet. Select a passage in the output to add one.</p>;
  const sorted = [...props.list].sort((a, b) => a.output.localeCompare(b.output) || a.start - b.start);
  return (
    <ol class="annotations" data-testid="annotation-list">
      {sorted.map((a) =>
        editing === a.id ? (
          <li key={a.id}>
            <Draft
              quote={a.quote}
              categories={props.categories}
              initial={a}
              onSave={(category, comment) => {
                props.onChange(props.list.map((x) => (x.id === a.id ? { ...x, category, comment } : x)));
                setEditing(null);
              }}
              onCancel={() => setEditing(null)}
            />
          </li>
        ) : (
          <li key={a.id} class={props.focus === a.id ? 'focus' : ''} data-testid="annotation">
            <p class="meta">
              <span class="tag">{a.category}</span> <span class="muted small">{a.output}</span>
            </p>
            <blockquote>{a.quote.length > 160 ? a.quote.slice(0, 160) + '…' : a.quote}</blockquote>
            <p>{a.comment || <em class="muted">No comment</em>}</p>
            <div class="row">
              <button type="button" class="small" onClick={() => props.onShow(a)}>
                Show
              </button>
              <button type="button" class="small" onClick={() => setEditing(a.id)}>
                Edit
              </button>
              <button
                type="button"
                class="small"
                onClick={() =>
                  confirm('Delete this annotation?') &&
                  props.onChange(props.list.filter((x) => x.id !== a.id))
                }
              >
                Delete
              </button>
            </div>
          </li>
        ),
      )}
    </ol>
  );
}
