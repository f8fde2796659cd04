// @vitest-environment happy-dom
/**
 * Admin → API tokens as an admin meets it: make a token with a name and scopes, copy it from the one
 * place it is shown, see it listed (never with its secret) and revoke it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { ApiTokens } from './tokens.tsx';
import type { ApiToken, ApiTokenList } from '../types.ts';

const SECRET = `wst_0123456789abcdef0123_${'s'.repeat(43)}`;

let host: HTMLElement;
afterEach(() => {
  render(null, host);
  host.remove();
  vi.unstubAllGlobals();
});

function serve() {
  const state: ApiTokenList = {
    tokens: [],
    scopes: [
      { scope: 'invitations:write', description: 'Create invitations' },
      { scope: 'results:read', description: 'Read results' },
    ],
  };
  const calls: Array<{ method: string; url: string; body?: unknown }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const body = init.body ? JSON.parse(init.body as string) : undefined;
      calls.push({ method: init.method!, url, body });
      if (init.method === 'POST' && url === '/api/tokens') {
        const token: ApiToken = {
          id: 'tok_0123456789abcdef0123',
          name: body.name,
          scopes: body.scopes,
          prefix: 'wst_0123456789abcdef0123_',
          createdBy: { id: 'u1', name: 'Ada Admin' },
          createdAt: Date.UTC(2026, 0, 1),
          expiresAt: null,
          lastUsedAt: null,
          revokedAt: null,
          status: 'active',
        };
        state.tokens = [token];
        return new Response(JSON.stringify({ token, secret: SECRET }), { status: 201 });
      }
      if (init.method === 'POST') {
        state.tokens = state.tokens.map((t) => ({ ...t, status: 'revoked' as const, revokedAt: 1 }));
        return new Response(JSON.stringify({ token: state.tokens[0] }), { status: 200 });
      }
      return new Response(JSON.stringify(state), { status: 200 });
    }),
  );
  return calls;
}

const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)));
const $ = <T extends Element = HTMLElement>(sel: string) => host.querySelector<T>(sel)!;

describe('API tokens page', () => {
  it('makes a token, shows it once with a copy button, lists it and revokes it', async () => {
    const calls = serve();
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    vi.stubGlobal('confirm', () => true);
    host = document.createElement('div');
    document.body.append(host);
    await act(() => render(<ApiTokens />, host));
    await settle();

    const create = $<HTMLButtonElement>('[data-testid=token-create]');
    expect(create.disabled).toBe(true); // no name, no scope yet
    const name = $<HTMLInputElement>('[data-testid=token-name]');
    await act(() => {
      name.value = 'Greenhouse sync';
      name.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => $<HTMLInputElement>('[data-testid="token-scope-results:read"]').click());
    expect(create.disabled).toBe(false);
    await act(() => create.click());
    await settle();

    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      name: 'Greenhouse sync',
      scopes: ['results:read'],
      expiresInDays: 90,
    });
    expect($('[data-testid=token-value]').textContent).toBe(SECRET);
    await act(() => $<HTMLButtonElement>('[data-testid=token-copy]').click());
    await settle();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect($('[data-testid=token-copy]').textContent).toBe('Copied');

    const table = $('[data-testid=tokens]');
    expect(table.textContent).toContain('Greenhouse sync');
    expect(table.textContent).toContain('never'); // not used yet
    expect(table.textContent).not.toContain(SECRET);

    // Done: the secret is gone from the page for good.
    const done = [...host.querySelectorAll('button')].find((b) => b.textContent === 'Done')!;
    await act(() => done.click());
    expect(host.textContent).not.toContain(SECRET);

    await act(() => host.querySelector<HTMLButtonElement>('[aria-label="Revoke Greenhouse sync"]')!.click());
    await settle();
    await settle();
    expect(calls.at(-2)).toMatchObject({
      method: 'POST',
      url: '/api/tokens/tok_0123456789abcdef0123/revoke',
    });
    expect($('[data-testid=tokens]').textContent).toContain('revoked');
  });
});
