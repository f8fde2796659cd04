// @vitest-environment happy-dom
/** The shared tab bar, as keyboard and screen reader users meet it (WAI-ARIA tabs pattern). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { Tabs, type Tab } from './tabs.tsx';

let host: HTMLElement;
afterEach(() => {
  render(null, host);
  host.remove();
});

function Harness({ tabs, look }: { tabs: Tab[]; look?: 'bar' | 'underline' }) {
  const [active, setActive] = useState(tabs[0]!.id);
  return (
    <Tabs label="Side panel" tabs={tabs} active={active} onChange={setActive} look={look}>
      <p data-testid="panel">{active} content</p>
    </Tabs>
  );
}

async function mount(node: preact.ComponentChild) {
  host = document.createElement('div');
  document.body.append(host);
  await act(() => render(node, host));
}

const tabs = () => [...host.querySelectorAll<HTMLButtonElement>('[role=tab]')];
const selected = () => tabs().find((t) => t.getAttribute('aria-selected') === 'true')!;
const press = (key: string) =>
  act(() => {
    (document.activeElement as HTMLElement).dispatchEvent(
      new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }),
    );
  });

const three: Tab[] = [
  { id: 'statement', label: 'Brief' },
  { id: 'annotations', label: 'Annotations' },
  { id: 'questions', label: 'Questions' },
];

describe('Tabs', () => {
  it('exposes a named tablist, tabs with aria-selected, and a panel labelled by the selected tab', async () => {
    await mount(<Harness tabs={three} />);
    const list = host.querySelector('[role=tablist]')!;
    expect(list.getAttribute('aria-label')).toBe('Side panel');
    expect(tabs().map((t) => t.textContent)).toEqual(['Brief', 'Annotations', 'Questions']);
    expect(selected().textContent).toBe('Brief');
    const panel = host.querySelector('[role=tabpanel]')!;
    expect(panel.getAttribute('aria-labelledby')).toBe(selected().id);
    expect(selected().getAttribute('aria-controls')).toBe(panel.id);
    expect(panel.textContent).toBe('statement content');
  });

  it('keeps only the selected tab in the Tab order', async () => {
    await mount(<Harness tabs={three} />);
    expect(tabs().map((t) => t.tabIndex)).toEqual([0, -1, -1]);
    await act(() => tabs()[2]!.click());
    expect(tabs().map((t) => t.tabIndex)).toEqual([-1, -1, 0]);
    expect(host.querySelector('[role=tabpanel]')!.textContent).toBe('questions content');
  });

  it('moves selection and focus with the arrow keys (wrapping), Home and End', async () => {
    await mount(<Harness tabs={three} />);
    tabs()[0]!.focus();
    await press('ArrowRight');
    expect(selected().textContent).toBe('Annotations');
    expect(document.activeElement).toBe(selected());
    await press('ArrowRight');
    await press('ArrowRight');
    expect(selected().textContent).toBe('Brief');
    await press('ArrowLeft');
    expect(selected().textContent).toBe('Questions');
    await press('Home');
    expect(selected().textContent).toBe('Brief');
    await press('End');
    expect(selected().textContent).toBe('Questions');
    expect(document.activeElement).toBe(selected());
    await press('a');
    expect(selected().textContent).toBe('Questions');
  });

  it('closes a closable tab with its × button or Delete, not an unclosable one', async () => {
    const closed: string[] = [];
    const files: Tab[] = ['a.py', 'b.py'].map((p) => ({ id: p, label: p, onClose: () => closed.push(p) }));
    await mount(<Harness tabs={[...files, { id: 'readme', label: 'README' }]} look="bar" />);
    await act(() => host.querySelector<HTMLButtonElement>('[aria-label="Close b.py"]')!.click());
    expect(closed).toEqual(['b.py']);
    tabs()[0]!.focus();
    await press('Delete');
    expect(closed).toEqual(['b.py', 'a.py']);
    await press('End');
    await press('Delete');
    expect(closed).toEqual(['b.py', 'a.py']);
  });

  it('gives two tab bars on one page distinct ids', async () => {
    const onChange = vi.fn();
    await mount(
      <>
        <Tabs label="Open files" tabs={three} active="statement" onChange={onChange} />
        <Tabs label="Side panel" tabs={three} active="statement" onChange={onChange} />
      </>,
    );
    const ids = [...host.querySelectorAll('[id]')].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
