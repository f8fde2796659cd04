// @vitest-environment happy-dom
/**
 * The IDE assistant panel as a candidate meets it: the question goes out with the selection only when
 * sharing is ticked, the answer renders as Markdown, "Insert at cursor" puts the code block
 * into the editor, and a refusal (budget spent) is shown with the question kept for another try.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { act } from 'preact/test-utils';
import { AssistantPanel, type ChatMessage } from './assistant-panel.tsx';
import type { CodeEditor } from '../editor/host.tsx';

let host: HTMLElement;
afterEach(() => {
  render(null, host);
  host.remove();
  vi.unstubAllGlobals();
});

function fakeEditor() {
  const edits: string[] = [];
  const selection = { isEmpty: () => false };
  const ed = {
    getModel: () => ({ getValueInRange: () => 'selected()', getValue: () => 'whole file' }),
    getSelection: () => selection,
    executeEdits: (_: string, e: Array<{ text: string }>) => edits.push(...e.map((x) => x.text)),
    pushUndoStop: () => true,
    focus: () => {},
  };
  return { ed: ed as unknown as CodeEditor, edits };
}

function serve(answer: (body: any) => Response) {
  const bodies: any[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(init.body as string);
      bodies.push(body);
      return answer(body);
    }),
  );
  return bodies;
}

async function mount(ed: CodeEditor) {
  host = document.createElement('div');
  document.body.append(host);
  function Harness() {
    const [messages, setMessages] = useState<ChatMessage[]>([]);
    return (
      <AssistantPanel
        attemptId="att_1"
        messages={messages}
        setMessages={setMessages}
        editor={{ current: ed }}
        activePath="main.mjs"
        onAsked={() => {}}
      />
    );
  }
  await act(() => render(<Harness />, host));
}
const q = <T extends HTMLElement = HTMLElement>(id: string) => host.querySelector<T>(`[data-testid="${id}"]`);

async function ask(text: string, share: boolean) {
  const input = q<HTMLTextAreaElement>('assistant-input')!;
  await act(() => {
    input.value = text;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  if (share) await act(() => q('assistant-share')!.click());
  await act(async () => {
    q('assistant-send')!.click();
    await new Promise((r) => setTimeout(r, 0));
  });
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
}

describe('IDE assistant panel', () => {
  it('shares the selection only when asked, renders the answer and inserts its code', async () => {
    const reply = 'Try:\n\n```js\nexport const answer = 42;\n```\n';
    const bodies = serve(() => new Response(JSON.stringify({ reply }), { status: 200 }));
    const { ed, edits } = fakeEditor();
    await mount(ed);
    await ask('first', false);
    expect(bodies[0]).toEqual({ messages: [{ role: 'user', content: 'first' }] });
    await ask('second', true);
    expect(bodies[1].context).toEqual({ path: 'main.mjs', content: 'selected()' });
    expect(bodies[1].messages.map((m: ChatMessage) => m.role)).toEqual(['user', 'assistant', 'user']);

    const answers = host.querySelectorAll('[data-testid="assistant-assistant"]');
    expect(answers).toHaveLength(2);
    expect(answers[0]!.querySelector('pre code')?.textContent).toContain('export const answer = 42;');
    // Sanitising is renderMarkdown's (DOMPurify); happy-dom lets it through, so Chromium checks it.
    await act(() => host.querySelector<HTMLElement>('[data-testid="assistant-insert"]')!.click());
    expect(edits).toEqual(['export const answer = 42;']);
  });

  it('shows a refusal and keeps the question to ask again', async () => {
    serve(
      () =>
        new Response(
          JSON.stringify({
            error: { code: 'rate_limited', message: 'The assistant cannot answer: request budget exhausted' },
          }),
          { status: 429 },
        ),
    );
    await mount(fakeEditor().ed);
    await ask('help', false);
    expect(q('assistant-error')?.textContent).toContain(
      'The assistant cannot answer: request budget exhausted',
    );
    expect(q<HTMLTextAreaElement>('assistant-input')!.value).toBe('help');
    expect(host.querySelectorAll('[data-testid="assistant-user"]')).toHaveLength(0);
  });
});
