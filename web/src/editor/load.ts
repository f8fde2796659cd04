/** Loads the Monaco chunk once, on demand (after the shell has rendered). */
export type MonacoModule = typeof import('./monaco.ts');

let loading: Promise<MonacoModule> | null = null;

export function loadMonaco(): Promise<MonacoModule> {
  loading ??= import('./monaco.ts');
  return loading;
}
