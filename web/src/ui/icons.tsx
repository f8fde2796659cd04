/**
 * The app's icons as inline SVG (emoji and dingbats render as empty boxes where the system has no
 * font for them). Decorative: hidden from screen readers, so the button or text beside them names
 * the action. They take the text colour and size.
 */
const PATHS = {
  play: 'M4 2.5v11l9-5.5z',
  back: 'M12 2.5v11L3 8z',
  pause: 'M5 3v10 M11 3v10',
  pencil: 'M11.5 1.5l3 3-9 9H2.5v-3z M10 3l3 3',
  trash: 'M2.5 4h11 M6 4V2.5h4V4 M4 4l.8 9.5h6.4L12 4 M6.5 6.5v5 M9.5 6.5v5',
  close: 'M4 4l8 8 M12 4l-8 8',
  check: 'M2.5 8.5l3.5 3.5 7.5-8',
  cross: 'M3.5 3.5l9 9 M12.5 3.5l-9 9',
  skip: 'M3 8h10',
  warn: 'M8 1.5l7 12.5H1z M8 6v4 M8 11.5v1',
  arrowLeft: 'M13 8H3 M7 4L3 8l4 4',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name }: { name: IconName }) {
  const filled = name === 'play' || name === 'back';
  return (
    <svg
      class={`svg-icon svg-icon-${name}`}
      viewBox="0 0 16 16"
      width="1em"
      height="1em"
      aria-hidden="true"
      focusable="false"
      fill={filled ? 'currentColor' : 'none'}
      stroke={filled ? 'none' : 'currentColor'}
      stroke-width="1.6"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
