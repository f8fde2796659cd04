/** Accessible tabs (WAI-ARIA pattern): arrow keys, Home and End move between tabs; one panel shows. */
import { useRef } from 'preact/hooks';

export interface Tab {
  id: string;
  label: string;
  render(): preact.ComponentChildren;
}

export function Tabs({
  tabs,
  active,
  onChange,
  label,
}: {
  tabs: Tab[];
  active: string;
  onChange(id: string): void;
  label: string;
}) {
  const list = useRef<HTMLDivElement>(null);
  const current = tabs.find((t) => t.id === active) ?? tabs[0]!;
  const move = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === current.id);
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % tabs.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + tabs.length) % tabs.length
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
  return (
    <div class="stabs">
      <div role="tablist" aria-label={label} ref={list} onKeyDown={move} class="stabs-list">
        {tabs.map((t) => (
          <button
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-controls={`panel-${t.id}`}
            aria-selected={t.id === current.id}
            tabIndex={t.id === current.id ? 0 : -1}
            data-testid={`tab-${t.id}`}
            onClick={() => onChange(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`panel-${current.id}`}
        aria-labelledby={`tab-${current.id}`}
        class="stabs-panel"
      >
        {current.render()}
      </div>
    </div>
  );
}
