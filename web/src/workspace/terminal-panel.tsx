/**
 * The Terminal tab: xterm.js on the attempt's shell over a WebSocket (server/http/routes/terminal.ts).
 * It connects the first time it is shown. A dropped connection is retried with a growing pause; a
 * reload reattaches to the same shell (the server replays its screen). When the shell has ended (it
 * exited, a Run ended it) the next key starts a fresh one in the same sandbox. When the attempt is
 * over, or the server has no terminal to give (local sandbox), it says why and stays closed.
 * Colours follow the system's light or dark theme, like the editor.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ITheme, Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';

/** xterm.js is loaded the first time a Terminal tab is opened, not with the workspace. */
const loadXterm = () =>
  Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit'), import('@xterm/xterm/css/xterm.css')]);

type ServerMessage =
  | { t: 'ready'; resumed: boolean }
  | { t: 'out'; d: string }
  | { t: 'queued'; position: number }
  | { t: 'ended'; reason: string; final: boolean };

const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1f2328',
  cursor: '#1f2328',
  selectionBackground: '#b6d3ff',
};
const DARK: ITheme = {
  background: '#0d1117',
  foreground: '#e4e7eb',
  cursor: '#e4e7eb',
  selectionBackground: '#2f4a73',
};

/** The socket's address for this attempt (same origin as the page, ws or wss to match). */
export function terminalUrl(
  loc: { protocol: string; host: string },
  attemptId: string,
  cols: number,
  rows: number,
) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/attempts/${encodeURIComponent(attemptId)}/terminal?cols=${cols}&rows=${rows}`;
}

export function TerminalPanel({ attemptId, visible }: { attemptId: string; visible: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const parts = useRef<{ term: Terminal; fit: FitAddon } | null>(null);
  const [started, setStarted] = useState(false);
  const [status, setStatus] = useState('Connecting…');

  useEffect(() => {
    if (visible) setStarted(true);
    if (visible) requestAnimationFrame(() => parts.current?.fit.fit());
  }, [visible]);

  useEffect(() => {
    if (!started) return;
    let stop: (() => void) | undefined;
    let cancelled = false;
    loadXterm().then(
      ([xterm, addon]) => {
        if (!cancelled && host.current) stop = run(xterm.Terminal, addon.FitAddon, host.current);
      },
      () => setStatus('The terminal could not load; reload the page.'),
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [started, attemptId]);

  /** Opens xterm in `el` and keeps it connected; returns the cleanup. */
  const run = (Term: typeof Terminal, Fit: typeof FitAddon, el: HTMLDivElement) => {
    const dark = matchMedia('(prefers-color-scheme: dark)');
    const term = new Term({
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: dark.matches ? DARK : LIGHT,
    });
    const fit = new Fit();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    parts.current = { term, fit };
    const onTheme = () => (term.options.theme = dark.matches ? DARK : LIGHT);
    dark.addEventListener('change', onTheme);

    let ws: WebSocket | null = null;
    let disposed = false;
    let retry = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    /** 'open', or why there is no socket: waiting to retry, waiting for a key, or over for good. */
    let state: 'connecting' | 'open' | 'retry' | 'key' | 'final' = 'connecting';
    const send = (msg: unknown) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    };

    const connect = () => {
      state = 'connecting';
      setStatus('Connecting…');
      const socket = new WebSocket(terminalUrl(location, attemptId, term.cols, term.rows));
      ws = socket;
      let opened = false;
      socket.onmessage = (e) => {
        const m = JSON.parse(String(e.data)) as ServerMessage;
        if (m.t === 'ready') {
          opened = true;
          state = 'open';
          retry = 0;
          if (m.resumed) term.reset(); // the server replays the screen next
          setStatus(m.resumed ? 'Reconnected to your shell' : 'Connected');
        } else if (m.t === 'out') term.write(m.d);
        else if (m.t === 'queued')
          setStatus(m.position > 0 ? `Waiting for a sandbox — ${m.position} in line…` : 'Connected');
        else if (m.t === 'ended') {
          state = m.final ? 'final' : 'key';
          term.write(`\r\n\x1b[2m[${m.reason}]\x1b[0m\r\n`);
          setStatus(m.final ? 'Closed' : 'Shell ended — press any key for a new one');
        }
      };
      socket.onclose = () => {
        if (ws === socket) ws = null;
        if (disposed || state === 'final' || state === 'key') return;
        // Dropped (network, server restart) or refused: try again, less and less often.
        state = 'retry';
        retry++;
        const wait = Math.min(15_000, 500 * 2 ** Math.min(retry, 5));
        setStatus(opened ? 'Connection lost — reconnecting…' : 'Could not connect — retrying…');
        retryTimer = setTimeout(connect, wait);
      };
    };

    const typed = term.onData((d) => {
      if (state === 'key') return connect();
      send({ t: 'in', d });
    });
    const resized = term.onResize(({ cols, rows }) => send({ t: 'resize', cols, rows }));
    const observer = new ResizeObserver(() => {
      if (el.offsetParent) fit.fit();
    });
    observer.observe(el);
    connect();
    term.focus();

    return () => {
      disposed = true;
      clearTimeout(retryTimer);
      observer.disconnect();
      typed.dispose();
      resized.dispose();
      dark.removeEventListener('change', onTheme);
      ws?.close();
      term.dispose();
      parts.current = null;
    };
  };

  return (
    <div class="terminal-tab" hidden={!visible} data-testid="terminal-panel">
      <p class="terminal-status muted" aria-live="polite" data-testid="terminal-status">
        {status} · a shell in your sandbox, recorded for reviewers · files made here are not submitted: create
        and save them in the editor
      </p>
      <div class="xterm-host" ref={host} data-testid="xterm" />
    </div>
  );
}
