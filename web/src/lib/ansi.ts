/** A tiny ANSI SGR → styled spans converter for the output panel (colours, bold; other escapes dropped). */

export interface Segment {
  text: string;
  cls: string;
}

const COLORS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

export interface AnsiState {
  fg: string | null;
  bold: boolean;
}

export const initialAnsi = (): AnsiState => ({ fg: null, bold: false });

/** Splits text into segments with CSS classes; `state` carries colour across chunks. */
export function ansiToSegments(text: string, state: AnsiState): Segment[] {
  const out: Segment[] = [];
  // SGR sequences are styled; any other CSI/OSC escape is removed.
  const re = /\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;
  let last = 0;
  const cls = () => [state.fg ? `ansi-${state.fg}` : '', state.bold ? 'ansi-bold' : ''].join(' ').trim();
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index), cls: cls() });
    last = re.lastIndex;
    if (m[1] === undefined) continue;
    for (const code of (m[1] || '0').split(';').map(Number)) {
      if (code === 0) Object.assign(state, initialAnsi());
      else if (code === 1) state.bold = true;
      else if (code === 22) state.bold = false;
      else if (code === 39) state.fg = null;
      else if (code >= 30 && code <= 37) state.fg = COLORS[code - 30]!;
      else if (code >= 90 && code <= 97) state.fg = 'bright-' + COLORS[code - 90]!;
    }
  }
  if (last < text.length) out.push({ text: text.slice(last), cls: cls() });
  return out;
}
