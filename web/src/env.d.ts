/** Module shapes Vite provides that TypeScript cannot resolve on its own. */
declare module '*?worker' {
  const WorkerFactory: new (options?: { name?: string }) => Worker;
  export default WorkerFactory;
}
declare module '*?raw' {
  const text: string;
  export default text;
}
declare module '*.css';
interface ImportMeta {
  /** Vite's build-time glob import (only the form web/src uses). */
  glob<T>(
    patterns: string | string[],
    options: { query: string; import: 'default'; eager: true },
  ): Record<string, T>;
}
