/**
 * Staff accounts (admins): the list with role and status, invite by email (a set-password link is
 * emailed, or shown once when email is off), change role, deactivate (their sessions end) or
 * reactivate, send a new set-password link, and each person's delivery log.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import type { Role, StaffAccount } from '../types.ts';
import { DeliveryLog, EmailOffNotice, useEmailEnabled } from './email.tsx';

const ROLES: Role[] = ['admin', 'author', 'reviewer'];

export function Staff({ meId }: { meId: string }) {
  const list = useGet<{ users: StaffAccount[] }>('/api/users');
  const email = useEmailEnabled();
  const [msg, setMsg] = useState<string | null>(null);
  const [link, setLink] = useState<{ who: string; link: string } | null>(null);
  useEffect(() => void (document.title = 'Staff · worksample'), []);

  /** Runs an action; its message is what `f` returns, else `done`. */
  const act = async (done: string, f: () => Promise<unknown>) => {
    setMsg(null);
    try {
      const said = await f();
      setMsg(typeof said === 'string' ? said : done);
      list.reload();
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  const linkOrSent = (who: string, r: { link: string | null; emailed: boolean }) => {
    setLink(r.link ? { who, link: r.link } : null);
    return r.emailed
      ? `Emailed a set-password link to ${who}.`
      : `Copy the set-password link for ${who} below.`;
  };

  return (
    <section aria-labelledby="staff-h">
      <h1 id="staff-h">Staff</h1>
      <EmailOffNotice enabled={email} what="set-password links" />
      <InviteForm
        onInvited={(who, r) => {
          setMsg(linkOrSent(who, r));
          list.reload();
        }}
      />
      {link && (
        <div class="new-links" role="status" data-testid="staff-link">
          <p>
            <strong>Copy this link for {link.who} now</strong> — it works once and is not shown again.
          </p>
          <code class="link">{link.link}</code>
        </div>
      )}
      {msg && (
        <p role="status" class="small" data-testid="staff-msg">
          {msg}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {list.data && (
        <table class="grid" data-testid="staff">
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.users.map((u) => (
              <tr key={u.id} data-testid={`staff-${u.email}`}>
                <td>
                  {u.name} <span class="muted small">{u.email}</span>
                  {u.id === meId && <span class="muted small"> (you)</span>}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={u.status === 'deactivated'}
                    onChange={(e) => {
                      const role = e.currentTarget.value as Role;
                      void act(`${u.email} is now ${role}.`, () =>
                        api('POST', `/api/users/${u.id}/role`, { role }),
                      );
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <span class={`pill pill-user-${u.status}`}>{u.status}</span>
                </td>
                <td>
                  <div class="row">
                    {u.status === 'deactivated' ? (
                      <button
                        type="button"
                        class="small"
                        onClick={() =>
                          void act(`${u.email} reactivated.`, () =>
                            api('POST', `/api/users/${u.id}/reactivate`),
                          )
                        }
                      >
                        Reactivate
                      </button>
                    ) : (
                      <>
                        <button
                          type="button"
                          class="small"
                          aria-label={`Send ${u.email} a set-password link`}
                          onClick={() =>
                            void act('', async () =>
                              linkOrSent(
                                u.email,
                                await api<{ link: string | null; emailed: boolean }>(
                                  'POST',
                                  `/api/users/${u.id}/reset-link`,
                                ),
                              ),
                            )
                          }
                        >
                          Password link
                        </button>
                        <button
                          type="button"
                          class="small danger"
                          aria-label={`Deactivate ${u.email}`}
                          data-testid="deactivate"
                          onClick={() =>
                            confirm(`Deactivate ${u.email}? They are signed out everywhere at once.`) &&
                            void act(`${u.email} deactivated; their sessions ended.`, () =>
                              api('POST', `/api/users/${u.id}/deactivate`),
                            )
                          }
                        >
                          Deactivate
                        </button>
                      </>
                    )}
                    <DeliveryLog url={`/api/users/${u.id}/emails`} label={`Emails to ${u.email}`} />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function InviteForm({
  onInvited,
}: {
  onInvited(who: string, r: { link: string | null; emailed: boolean }): void;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('reviewer');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="card"
      aria-labelledby="staff-invite-h"
      data-testid="staff-invite"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        api<{ user: StaffAccount; link: string | null; emailed: boolean }>('POST', '/api/users/invite', {
          email,
          role,
          ...(name.trim() ? { name } : {}),
        }).then(
          (r) => {
            setEmail('');
            setName('');
            onInvited(r.user.email, r);
          },
          (err: Error) => setError(err.message),
        );
      }}
    >
      <h2 id="staff-invite-h">Invite a staff member</h2>
      <div class="row">
        <div>
          <label for="staff-email">Email</label>
          <input
            id="staff-email"
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="staff-name">Name (optional)</label>
          <input id="staff-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="staff-role">Role</label>
          <select id="staff-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary" data-testid="staff-invite-submit">
          Invite
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
