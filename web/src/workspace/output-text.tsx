/**
 * A model output to annotate. Passages are selected with the mouse, or with the keyboard alone: focus
 * the text and press Enter (or "Select with keyboard"), move a caret with the arrows, extend with
 * Shift+arrows, Enter opens the annotation form, Escape clears the selection and then leaves the mode.
 * Every move is announced through a live region, since there is no native caret to read.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { pieces, type Annotation } from './annotations.ts';
import { CARET_KEYS, describeMove, lineCol, moveCaret } from './caret.ts';

const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

export function OutputText(props: {
  path: string;
  text: string;
  annotations: Annotation[];
  focus: string | null;
  /** The range of the annotation form that is open, kept highlighted while it is. */
  held: { start: number; end: number } | null;
  textRef: RefObject<HTMLPreElement | null>;
  onMark: (id: string) => void;
  /** Annotate what the mouse (DOM selection) selected. */
  onMouseSelection: () => void;
  onKeyboardSelection: (start: number, end: number) => void;
}) {
  const { text } = props;
  const [keyboard, setKeyboard] = useState(false);
  const [caret, setCaret] = useState(0);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [said, say] = useState('');

  useEffect(() => {
    setCaret(0);
    setAnchor(null);
  }, [props.path]);
  useEffect(() => {
    if (keyboard) props.textRef.current?.querySelector('.kb-caret')?.scrollIntoView({ block: 'nearest' });
  }, [keyboard, caret]);

  const sel: [number, number] | null =
    keyboard && anchor !== null && anchor !== caret
      ? [Math.min(anchor, caret), Math.max(anchor, caret)]
      : null;

  const start = () => {
    setKeyboard(true);
    props.textRef.current?.focus();
    say('Keyboard selection on. Arrows move, Shift+arrows select, Enter annotates, Escape clears.');
  };
  const annotate = (range: [number, number]) => {
    setAnchor(null);
    setCaret(range[1]);
    props.onKeyboardSelection(range[0], range[1]);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!keyboard) {
      if (e.key === 'Enter') (e.preventDefault(), start());
      return;
    }
    if (CARET_KEYS.has(e.key)) {
      e.preventDefault();
      const k = { key: e.key, word: isMac ? e.altKey || (e.metaKey && /Home|End/.test(e.key)) : e.ctrlKey };
      const next = moveCaret(text, caret, k);
      const nextAnchor = e.shiftKey ? (anchor ?? caret) : null;
      setCaret(next);
      setAnchor(nextAnchor);
      const range: [number, number] | null =
        nextAnchor !== null && nextAnchor !== next
          ? [Math.min(nextAnchor, next), Math.max(nextAnchor, next)]
          : null;
      say(describeMove(text, next, k, range));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (sel) annotate(sel);
      else say('Nothing selected. Hold Shift and use the arrows to select a passage first.');
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (anchor !== null) (setAnchor(null), say('Selection cleared.'));
      else (setKeyboard(false), say('Keyboard selection off.'));
    } else if ((e.ctrlKey || e.metaKey) && e.key === 'a') {
      e.preventDefault();
      setAnchor(0);
      setCaret(text.length);
      say(describeMove(text, text.length, { key: 'End', word: true }, [0, text.length]));
    }
  };

  const held = props.held && [props.held.start, props.held.end];
  const cuts = [...(sel ?? []), ...(held ?? []), ...(keyboard ? [caret] : [])];
  const inside = (r: number[] | null | undefined, s: number) => !!r && r[0]! <= s && s < r[1]!;
  const { line, col } = lineCol(text, caret);
  const body = pieces(text, props.annotations, cuts).flatMap((p) => {
    const cls = [inside(sel, p.start) && 'kb-sel', inside(held, p.start) && 'held'].filter(Boolean).join(' ');
    const node = p.ids.length ? (
      <mark
        key={p.start}
        class={[p.ids.includes(props.focus ?? '') && 'focus', cls].filter(Boolean).join(' ')}
        onClick={() => props.onMark(p.ids[0]!)}
        title="Annotated"
      >
        {p.text}
      </mark>
    ) : cls ? (
      <span key={p.start} class={cls}>
        {p.text}
      </span>
    ) : (
      p.text
    );
    return keyboard && p.start === caret ? [<Caret key="caret" />, node] : [node];
  });
  if (keyboard && caret === text.length) body.push(<Caret key="caret" />);

  return (
    <>
      <p class="hint muted">
        <span id="output-hint">
          Select a passage with the mouse, or by keyboard: <kbd>Enter</kbd> in the text.
        </span>
        <button
          type="button"
          class="small primary"
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => (sel ? annotate(sel) : props.onMouseSelection())}
          data-testid="annotate"
        >
          Annotate selection
        </button>
        <button
          type="button"
          class="small"
          aria-pressed={keyboard}
          onClick={() => (keyboard ? (setKeyboard(false), say('Keyboard selection off.')) : start())}
          data-testid="keyboard-select"
        >
          Select with keyboard
        </button>
      </p>
      <pre
        class={keyboard ? 'output-text kb-mode' : 'output-text'}
        ref={props.textRef}
        tabIndex={0}
        role={keyboard ? 'textbox' : undefined}
        aria-readonly={keyboard ? true : undefined}
        aria-multiline={keyboard ? true : undefined}
        aria-label={`Model output ${props.path}`}
        aria-describedby={keyboard ? 'keyboard-status' : 'output-hint'}
        data-testid="output-text"
        onMouseUp={props.onMouseSelection}
        onKeyDown={onKeyDown}
      >
        {body}
      </pre>
      {keyboard && (
        <p class="kb-status" id="keyboard-status" data-testid="keyboard-status">
          {sel ? (
            <>
              <strong>{sel[1] - sel[0]} characters selected</strong> · <kbd>Enter</kbd> annotate ·{' '}
              <kbd>Esc</kbd> clear
            </>
          ) : (
            <>
              Line {line}, column {col} · <kbd>Shift</kbd>+arrows select · <kbd>{isMac ? '⌥' : 'Ctrl'}</kbd>
              +arrows by word · <kbd>Esc</kbd> leave
            </>
          )}
        </p>
      )}
      <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="selection-live">
        {said}
      </p>
    </>
  );
}

const Caret = () => <span class="kb-caret" aria-hidden="true" />;
