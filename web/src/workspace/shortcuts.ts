/**
 * Workspace keyboard shortcuts outside the editor (inside it, Monaco's own keybindings run the same
 * commands): Ctrl/Cmd+Enter runs, Ctrl/Cmd+Shift+Enter runs the tests, Ctrl/Cmd+S saves now — caught,
 * so the browser's "Save page" dialog never opens over the workspace.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { EditorCommands } from '../editor/host.tsx';

export function useShortcuts(commands: EditorCommands) {
  const latest = useRef(commands);
  latest.current = commands;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !(e.ctrlKey || e.metaKey) || e.altKey) return;
      const c = latest.current;
      if (e.key === 'Enter') {
        e.preventDefault();
        if (e.shiftKey) c.test();
        else c.run();
      } else if (e.key.toLowerCase() === 's' && !e.shiftKey) {
        e.preventDefault();
        c.save();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}
