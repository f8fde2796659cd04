/**
 * The one tab bar of the app (WAI-ARIA tabs pattern): a `tablist` of `tab` buttons and the
 * `tabpanel` of the selected one. Arrow keys move between tabs (and select, as the pattern's
 * automatic activation does), Home and End jump to the first and last; only the selected tab is in
 * the Tab order (roving tabindex). Closable tabs (open files) close with their × button or Delete.
 * It renders no wrapper, so it fits a flex column as the bar and panel it replaces did.
 */
import { useId, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { Icon } from './icons.tsx';

export interface Tab {
  id: string;
  label: ComponentChildren;
  /** The panel's content; or pass `children` to Tabs for whatever tab is selected. */
  render?(): ComponentChildren;
  /** data-testid of the tab button (default `tab-<id>`). */
  testId?: string;
  /** Makes the tab closable: a × button after it, and Delete on the focused tab. */
  onClose?(): void;
  /** Accessible name of the close button (default `Close <id>`). */
  closeLabel?: string;
}

export function Tabs({
  tabs,
  active,
  onChange,
  label,
  look = 'underline',
  panelClass,
  children,
}: {
  tabs: Tab[];
  active: string | null;
  onChange(id: string): void;
  /** Names the tab list for screen readers ("Open files", "Side panel"). */
  label: string;
  /** `bar`: the workspace's compact strip; `underline`: the staff pages' tabs. */
  look?: 'bar' | 'underline';
  panelClass?: string;
  children?: ComponentChildren;
}) {
  const uid = useId();
  const list = useRef<HTMLDivElement>(null);
  const current = tabs.find((t) => t.id === active) ?? tabs[0] ?? null;
  const at = current ? tabs.indexOf(current) : -1;
  const tabId = (i: number) => `${uid}-tab-${i}`;
  const panelId = `${uid}-panel`;

  const onKeyDown = (e: KeyboardEvent) => {
    if (!current || !tabs.length) return;
    if (e.key === 'Delete' && current.onClose) {
      e.preventDefault();
      current.onClose();
      return;
    }
    const next =
      e.key === 'ArrowRight'
        ? (at + 1) % tabs.length
        : e.key === 'ArrowLeft'
          ? (at - 1 + tabs.length) % tabs.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? tabs.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    onChange(tabs[next]!.id);
    list.current?.querySelectorAll<HTMLElement>('[role=tab]')[next]?.focus();
  };

  const bar = look === 'bar';
  return (
    <>
      <div
        role="tablist"
        aria-label={label}
        ref={list}
        onKeyDown={onKeyDown}
        class={bar ? 'tabs' : 'stabs-list'}
      >
        {tabs.map((t, i) => {
          const selected = t === current;
          const button = (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={tabId(i)}
              aria-controls={panelId}
              aria-selected={selected}
              tabIndex={selected ? 0 : -1}
              class={bar && selected && !t.onClose ? 'active' : undefined}
              data-testid={t.testId ?? `tab-${t.id}`}
              onClick={() => onChange(t.id)}
            >
              {t.label}
            </button>
          );
          if (!t.onClose) return button;
          return (
            <div key={t.id} class={`tab${selected ? ' active' : ''}`} role="presentation">
              {button}
              <button
                type="button"
                class="icon"
                tabIndex={-1}
                aria-label={t.closeLabel ?? `Close ${t.id}`}
                onClick={t.onClose}
              >
                <Icon name="close" />
              </button>
            </div>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={panelId}
        aria-labelledby={current ? tabId(at) : undefined}
        aria-label={current ? undefined : label}
        class={panelClass ?? (bar ? undefined : 'stabs-panel')}
      >
        {children ?? current?.render?.()}
      </div>
    </>
  );
}
