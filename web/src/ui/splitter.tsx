/**
 * A draggable divider between two stacked panels (WAI-ARIA window splitter): drag it, or focus it and
 * use the arrow keys (Home/End for the limits). `value` is the first panel's share in percent.
 */
import type { RefObject } from 'preact';

const MIN = 15;
const MAX = 85;
const clamp = (v: number) => Math.min(MAX, Math.max(MIN, v));

export function Splitter({
  label,
  value,
  onChange,
  container,
}: {
  label: string;
  value: number;
  onChange(v: number): void;
  container: RefObject<HTMLElement | null>;
}) {
  const onPointerDown = (e: PointerEvent) => {
    const box = container.current?.getBoundingClientRect();
    if (!box) return;
    const target = e.currentTarget as HTMLElement;
    target.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => onChange(clamp(((ev.clientY - box.top) / box.height) * 100));
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = { ArrowUp: -5, ArrowDown: 5 }[e.key];
    if (step) onChange(clamp(value + step));
    else if (e.key === 'Home') onChange(MIN);
    else if (e.key === 'End') onChange(MAX);
    else return;
    e.preventDefault();
  };
  return (
    <div
      class="splitter"
      role="separator"
      aria-orientation="horizontal"
      aria-label={label}
      aria-valuenow={Math.round(value)}
      aria-valuemin={MIN}
      aria-valuemax={MAX}
      tabIndex={0}
      data-testid="splitter"
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
