/** The task statement, rendered from markdown and sanitised. */
import { useMemo } from 'preact/hooks';
import { renderMarkdown } from '../lib/markdown.ts';

export function Statement({ markdown }: { markdown: string }) {
  const html = useMemo(() => renderMarkdown(markdown), [markdown]);
  return <article class="prose" data-testid="statement" dangerouslySetInnerHTML={{ __html: html }} />;
}
