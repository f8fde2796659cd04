/**
 * Webhooks (admins): endpoints with their events, a signing secret shown once (at creation and at
 * each rotation), "Send test event", and each endpoint's delivery log with status codes and
 * Redeliver. Types are the server's response schemas (server/http/schemas/webhooks.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import type { z } from '@hono/zod-openapi';
import type {
  webhookDeliverySchema,
  webhookEndpointSchema,
} from '../../../../server/http/schemas/webhooks.ts';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { fmtTime } from '../types.ts';

type Endpoint = z.output<typeof webhookEndpointSchema>;
type Delivery = z.output<typeof webhookDeliverySchema>;
interface Draft {
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
}

function SecretOnce({ secret, onDone }: { secret: string; onDone(): void }) {
  return (
    <div class="new-links" role="status" data-testid="webhook-secret">
      <p>
        <strong>Copy the signing secret now</strong> — it is not shown again. Receivers verify each request
        with it (see docs/webhooks.md).
      </p>
      <code class="link">{secret}</code>{' '}
      <button type="button" class="small" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

function EndpointForm({
  events,
  initial,
  onSave,
  onCancel,
}: {
  events: string[];
  initial?: Endpoint;
  onSave(d: Draft): Promise<void>;
  onCancel?(): void;
}) {
  const [d, setD] = useState<Draft>({
    url: initial?.url ?? '',
    description: initial?.description ?? '',
    events: initial?.events ?? [...events],
    enabled: initial?.enabled ?? true,
  });
  const [error, setError] = useState<string | null>(null);
  const id = initial ? `wh-${initial.id}` : 'wh-new';
  return (
    <form
      class="card"
      data-testid={initial ? 'webhook-edit' : 'webhook-new'}
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        onSave(d).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
      }}
    >
      <h2>{initial ? 'Edit endpoint' : 'Add an endpoint'}</h2>
      <label for={`${id}-url`}>URL</label>
      <input
        id={`${id}-url`}
        type="url"
        required
        placeholder="https://ats.example.com/hooks/worksample"
        value={d.url}
        onInput={(e) => setD({ ...d, url: e.currentTarget.value })}
        data-testid="webhook-url"
      />
      <label for={`${id}-desc`}>Description</label>
      <input
        id={`${id}-desc`}
        value={d.description}
        maxLength={500}
        onInput={(e) => setD({ ...d, description: e.currentTarget.value })}
      />
      <fieldset>
        <legend>Events</legend>
        {events.map((ev) => (
          <label key={ev} class="check">
            <input
              type="checkbox"
              checked={d.events.includes(ev)}
              onChange={(e) =>
                setD({
                  ...d,
                  events: e.currentTarget.checked ? [...d.events, ev] : d.events.filter((x) => x !== ev),
                })
              }
            />{' '}
            <code>{ev}</code>
          </label>
        ))}
      </fieldset>
      <label class="check">
        <input
          type="checkbox"
          checked={d.enabled}
          onChange={(e) => setD({ ...d, enabled: e.currentTarget.checked })}
        />{' '}
        Enabled
      </label>
      <div class="row end">
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary" data-testid="webhook-save">
          {initial ? 'Save' : 'Add endpoint'}
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

function DeliveryLog({ endpoint }: { endpoint: Endpoint }) {
  const log = useGet<{ deliveries: Delivery[] }>(
    `/api/webhooks/${encodeURIComponent(endpoint.id)}/deliveries`,
  );
  const [msg, setMsg] = useState<string | null>(null);
  // While something is on its way, look again every few seconds.
  const busy = log.data?.deliveries.some((d) => d.status === 'pending' || d.status === 'delivering');
  useEffect(() => {
    if (!busy) return;
    const timer = setTimeout(log.reload, 3000);
    return () => clearTimeout(timer);
  }, [busy, log.data]);
  const redeliver = async (d: Delivery) => {
    setMsg(null);
    try {
      await api('POST', `/api/webhooks/deliveries/${encodeURIComponent(d.id)}/redeliver`);
      setMsg(`Redelivering ${d.eventType}.`);
      log.reload();
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section class="card" aria-labelledby={`log-${endpoint.id}`} data-testid="webhook-log">
      <h2 id={`log-${endpoint.id}`}>
        Deliveries to <code>{endpoint.url}</code>
      </h2>
      <button type="button" class="small" onClick={log.reload}>
        Refresh
      </button>
      {msg && (
        <p role="status" class="small">
          {msg}
        </p>
      )}
      {log.error && <p class="error">{log.error}</p>}
      {log.data && !log.data.deliveries.length && <p class="muted">No deliveries yet.</p>}
      {log.data && log.data.deliveries.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Tries (code · time · error)</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {log.data.deliveries.map((d) => (
              <tr key={d.id} data-testid="webhook-delivery">
                <td>
                  <code>{d.eventType}</code>
                  <div class="muted small">{d.id}</div>
                </td>
                <td>
                  <span class={`pill pill-${d.status}`}>{d.status}</span>
                  {d.nextAttemptAt && <div class="muted small">next try {fmtTime(d.nextAttemptAt)}</div>}
                </td>
                <td>
                  <ol class="small">
                    {d.log.map((t) => (
                      <li key={t.try} title={t.responseExcerpt}>
                        <strong data-testid="webhook-code">{t.statusCode ?? '—'}</strong> · {t.durationMs} ms
                        · {fmtTime(t.startedAt)}
                        {t.error && <span class="muted"> · {t.error}</span>}
                      </li>
                    ))}
                  </ol>
                </td>
                <td>{fmtTime(d.createdAt)}</td>
                <td>
                  {(d.status === 'succeeded' || d.status === 'failed') && (
                    <button type="button" class="small" onClick={() => void redeliver(d)}>
                      Redeliver
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

export function Webhooks() {
  const list = useGet<{ endpoints: Endpoint[]; events: string[] }>('/api/webhooks');
  const [secret, setSecret] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  // A new key empties the create form after each endpoint added.
  const [formKey, setFormKey] = useState(0);
  useEffect(() => void (document.title = 'Webhooks · worksample'), []);

  const act = async (what: string, f: () => Promise<unknown>) => {
    setMsg(null);
    try {
      await f();
      setMsg(what);
      list.reload();
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  const events = list.data?.events ?? [];
  const endpoints = list.data?.endpoints ?? [];
  const selected = endpoints.find((e) => e.id === shown);

  return (
    <section aria-labelledby="wh-h">
      <h1 id="wh-h">Webhooks</h1>
      <p class="muted">
        worksample POSTs a signed JSON event to each enabled endpoint subscribed to it, and retries with
        backoff until it answers 2xx.
      </p>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      {msg && (
        <p role="status" class="small">
          {msg}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {list.data && (
        <table class="grid" data-testid="webhooks">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.id}>
                <td>
                  <code>{e.url}</code>
                  <div class="muted small">
                    {e.description} · secret {e.secretHint}
                  </div>
                </td>
                <td class="small">{e.events.join(', ')}</td>
                <td>
                  <span class={`pill pill-${e.enabled ? 'enabled' : 'disabled'}`}>
                    {e.enabled ? 'enabled' : 'disabled'}
                  </span>
                  {e.disabledReason && <div class="muted small">{e.disabledReason}</div>}
                </td>
                <td>
                  <div class="row">
                    <button type="button" class="small" onClick={() => setShown(e.id)}>
                      Deliveries
                    </button>
                    <button
                      type="button"
                      class="small"
                      data-testid="webhook-test"
                      disabled={!e.enabled}
                      onClick={() =>
                        void act('Test event sent.', async () => {
                          await api('POST', `/api/webhooks/${encodeURIComponent(e.id)}/test`);
                          setShown(e.id);
                        })
                      }
                    >
                      Send test event
                    </button>
                    <button type="button" class="small" onClick={() => setEditing(e.id)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        confirm('Make a new signing secret? The old one keeps working for 24 hours.') &&
                        void act('New secret made.', async () => {
                          const r = await api<{ secret: string }>(
                            'POST',
                            `/api/webhooks/${encodeURIComponent(e.id)}/rotate-secret`,
                          );
                          setSecret(r.secret);
                        })
                      }
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      class="small danger"
                      onClick={() =>
                        confirm(`Delete the endpoint ${e.url} and its delivery log?`) &&
                        void act('Deleted.', () => api('DELETE', `/api/webhooks/${encodeURIComponent(e.id)}`))
                      }
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && endpoints.find((e) => e.id === editing) && (
        <EndpointForm
          key={editing}
          events={events}
          initial={endpoints.find((e) => e.id === editing)}
          onCancel={() => setEditing(null)}
          onSave={async (d) => {
            await api('PATCH', `/api/webhooks/${encodeURIComponent(editing)}`, d);
            setEditing(null);
            setMsg('Saved.');
            list.reload();
          }}
        />
      )}
      {list.data && !editing && (
        <EndpointForm
          key={formKey}
          events={events}
          onSave={async (d) => {
            const r = await api<{ secret: string }>('POST', '/api/webhooks', d);
            setSecret(r.secret);
            setFormKey((k) => k + 1);
            list.reload();
          }}
        />
      )}
      {selected && <DeliveryLog key={`${selected.id}-${msg}`} endpoint={selected} />}
    </section>
  );
}
