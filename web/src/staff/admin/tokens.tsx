/**
 * API tokens (admins): make one with a name, scopes and expiry, copy it once (only its hash is kept),
 * see when each was last used, and revoke.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { fmtTime, type ApiTokenList, type CreatedApiToken } from '../types.ts';

type Scope = ApiTokenList['scopes'][number]['scope'];

const EXPIRY = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: 'Never', days: null },
] as const;

function ShownOnce({ made, onDone }: { made: CreatedApiToken; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="new-links" role="status" data-testid="token-secret">
      <p>
        <strong>Copy the token “{made.token.name}” now</strong> — it is not shown again.
      </p>
      <p>
        <code class="link" data-testid="token-value">
          {made.secret}
        </code>
      </p>
      <div class="row">
        <button
          type="button"
          class="small"
          data-testid="token-copy"
          onClick={() =>
            void navigator.clipboard.writeText(made.secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="small" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function CreateForm({
  scopes,
  onCreated,
}: {
  scopes: ApiTokenList['scopes'];
  onCreated(t: CreatedApiToken): void;
}) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Scope[]>([]);
  const [expiry, setExpiry] = useState('90');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="card"
      aria-labelledby="tok-new-h"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        const days = expiry === 'never' ? null : Number(expiry);
        api<CreatedApiToken>('POST', '/api/tokens', { name, scopes: chosen, expiresInDays: days }).then(
          (made) => {
            setName('');
            setChosen([]);
            onCreated(made);
          },
          (err: Error) => setError(err.message),
        );
      }}
    >
      <h2 id="tok-new-h">New token</h2>
      <div class="row">
        <div>
          <label for="tok-name">Name</label>
          <input
            id="tok-name"
            required
            maxLength={100}
            value={name}
            placeholder="Greenhouse sync"
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="token-name"
          />
        </div>
        <div>
          <label for="tok-expiry">Expires after</label>
          <select id="tok-expiry" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
            {EXPIRY.map((x) => (
              <option key={x.label} value={x.days === null ? 'never' : String(x.days)}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset>
        <legend>Scopes (what the token may do; nothing else)</legend>
        {scopes.map((s) => (
          <label key={s.scope} class="check">
            <input
              type="checkbox"
              checked={chosen.includes(s.scope)}
              data-testid={`token-scope-${s.scope}`}
              onChange={(e) =>
                setChosen((c) => (e.currentTarget.checked ? [...c, s.scope] : c.filter((x) => x !== s.scope)))
              }
            />{' '}
            <code>{s.scope}</code> <span class="muted small">{s.description}</span>
          </label>
        ))}
      </fieldset>
      <div class="row end">
        <button
          type="submit"
          class="primary"
          disabled={!name.trim() || !chosen.length}
          data-testid="token-create"
        >
          Make token
        </button>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function ApiTokens() {
  const list = useGet<ApiTokenList>('/api/tokens');
  const [made, setMade] = useState<CreatedApiToken | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => void (document.title = 'API tokens · worksample'), []);

  const revoke = (id: string, name: string) => {
    if (!confirm(`Revoke the token “${name}”? Requests with it are refused from now on.`)) return;
    setMsg(null);
    api('POST', `/api/tokens/${id}/revoke`).then(
      () => {
        setMsg(`Revoked “${name}”.`);
        list.reload();
      },
      (e: Error) => setMsg(e.message),
    );
  };

  return (
    <section aria-labelledby="tok-h">
      <h1 id="tok-h">API tokens</h1>
      <p class="muted">
        For automation such as an applicant tracking system: send{' '}
        <code>Authorization: Bearer &lt;token&gt;</code> to the API (see{' '}
        <a href="/api/openapi.json">the OpenAPI document</a> for the scope each operation needs).
      </p>
      {list.data && (
        <CreateForm
          scopes={list.data.scopes}
          onCreated={(t) => {
            setMade(t);
            list.reload();
          }}
        />
      )}
      {made && <ShownOnce made={made} onDone={() => setMade(null)} />}
      {msg && (
        <p role="status" class="small">
          {msg}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {list.data && (
        <table class="grid" data-testid="tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scopes</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.tokens.map((t) => (
              <tr key={t.id}>
                <td>
                  {t.name}{' '}
                  <span class="muted small">
                    <code>{t.prefix}…</code> by {t.createdBy.name}
                  </span>
                </td>
                <td>
                  {t.scopes.map((s) => (
                    <code key={s} class="small">
                      {s}{' '}
                    </code>
                  ))}
                </td>
                <td>
                  <span class={`pill pill-${t.status}`}>{t.status}</span>
                </td>
                <td>{t.lastUsedAt === null ? 'never' : fmtTime(t.lastUsedAt)}</td>
                <td>{t.expiresAt === null ? 'never' : fmtTime(t.expiresAt)}</td>
                <td>
                  {t.status !== 'revoked' && (
                    <button
                      type="button"
                      class="small danger"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => revoke(t.id, t.name)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
