/**
 * Invitations: the list with status, invite one candidate or many (CSV name,email), and resend,
 * extend or revoke. A new link is shown once, right after it is made (only its hash is stored).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { fmtTime, type BulkResult, type Invitation, type Linked, type TaskSummary } from '../types.ts';
import { ExportLinks } from './tasks.tsx';
import { expiryDays } from './expiry.ts';
import { DeliveryLog, EmailOffNotice, useEmailEnabled } from './email.tsx';
import { parseTarget, targetBody, targetValue, tasksOf } from '../assessments/target.ts';
import { TargetSelect, useAssessments } from '../assessments/target-select.tsx';
import type { AssessmentListItem } from '../assessments/types.ts';

type Capability = { ok: boolean; reason?: string };
type Capabilities = { codeTasks: Capability; llmTasks: Capability };

/** Warns before inviting to a task this deployment cannot run now (GET /api/ready capabilities). */
function CannotRun({ task, capabilities }: { task?: TaskSummary | undefined; capabilities?: Capabilities }) {
  const needed = task && task.needs !== 'nothing' ? capabilities?.[task.needs] : undefined;
  if (!needed || needed.ok) return null;
  return (
    <p class="banner warn" role="alert" data-testid="inv-cannot-run">
      <strong>This deployment cannot run “{task!.title}” right now</strong> — candidates would not be able to
      run their code{task!.needs === 'llmTasks' ? ' with the model' : ''}. {needed.reason}
    </p>
  );
}

function NewLinks({ links }: { links: Linked[] }) {
  if (!links.length) return null;
  const emailed = links.filter((l) => l.emailed).length;
  return (
    <div class="new-links" role="status" data-testid="new-links">
      <p>
        {emailed === links.length ? (
          <>
            <strong>Emailed {emailed === 1 ? 'the link' : `all ${emailed} links`}</strong> to the candidate
            {emailed === 1 ? '' : 's'}. {emailed === 1 ? 'It is' : 'They are'} also here, shown only once.
          </>
        ) : (
          <>
            <strong>Copy {links.length === 1 ? 'this link' : 'these links'} now</strong> — they are not shown
            again{emailed ? ` (${emailed} of ${links.length} were emailed)` : ''}.
          </>
        )}
      </p>
      <ul>
        {links.map((l) => (
          <li key={l.invitation.id}>
            {l.invitation.candidateName} &lt;{l.invitation.candidateEmail}&gt;:{' '}
            <code class="link">{l.link}</code>
            {l.emailed && <span class="muted small"> · emailed</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CreateForms({
  tasks,
  assessments,
  capabilities,
  emailEnabled,
  onCreated,
}: {
  tasks: TaskSummary[];
  assessments: AssessmentListItem[];
  capabilities?: Capabilities;
  emailEnabled: boolean | null;
  onCreated(l: Linked[], errors?: string[]): void;
}) {
  const [send, setSend] = useState(true);
  const [task, setTask] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [days, setDays] = useState('14');
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<string | null>(null);
  const first = tasks[0] ? targetValue({ kind: 'task', slug: tasks[0].slug }) : '';
  const target = parseTarget(task || first);

  const go = async (f: () => Promise<void>) => {
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section class="card" aria-labelledby="inv-new-h">
      <h2 id="inv-new-h">Invite</h2>
      <div class="row">
        <TargetSelect tasks={tasks} assessments={assessments} value={task || first} onChange={setTask} />
        <div>
          <label for="inv-days">Link valid for (days)</label>
          <input
            id="inv-days"
            type="number"
            min={1}
            max={365}
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </div>
      </div>
      <label class="check">
        <input
          type="checkbox"
          checked={emailEnabled !== false && send}
          disabled={emailEnabled === false}
          onChange={(e) => setSend(e.currentTarget.checked)}
          data-testid="inv-send-email"
        />{' '}
        Send the link by email
      </label>
      {tasksOf(target, tasks, assessments).map((t) => (
        <CannotRun key={t.slug} task={t} capabilities={capabilities} />
      ))}
      <form
        class="inv-one"
        onSubmit={(e) => {
          e.preventDefault();
          void go(async () => {
            if (!target) throw new Error('Pick a task or an assessment.');
            const r = await api<Linked>('POST', '/api/invitations', {
              ...targetBody(target),
              candidateName: name,
              candidateEmail: email,
              ...expiryDays(days),
              // The server emails only when it can; unticked, it never does.
              sendEmail: send,
            });
            setName('');
            setEmail('');
            onCreated([r]);
          });
        }}
      >
        <h3>One candidate</h3>
        <div class="row">
          <div>
            <label for="inv-name">Name</label>
            <input
              id="inv-name"
              required
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              data-testid="inv-name"
            />
          </div>
          <div>
            <label for="inv-email">Email</label>
            <input
              id="inv-email"
              type="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
              data-testid="inv-email"
            />
          </div>
          <button type="submit" class="primary" data-testid="inv-create">
            Invite
          </button>
        </div>
      </form>
      <form
        class="inv-bulk"
        onSubmit={(e) => {
          e.preventDefault();
          void go(async () => {
            if (!target) throw new Error('Pick a task or an assessment.');
            const r = await api<BulkResult>('POST', '/api/invitations/bulk', {
              ...targetBody(target),
              csv,
              ...expiryDays(days),
              // The server emails only when it can; unticked, it never does.
              sendEmail: send,
            });
            setCsv('');
            onCreated(
              r.created,
              r.errors.map((x) => `line ${x.line}: ${x.message}`),
            );
          });
        }}
      >
        <h3>Many candidates (CSV: name,email)</h3>
        <label for="inv-file">Upload a CSV file</label>
        <input
          id="inv-file"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            if (f) setCsv(await f.text());
          }}
        />
        <label for="inv-csv">…or paste it</label>
        <textarea
          id="inv-csv"
          rows={4}
          value={csv}
          placeholder={'name,email\nAda Lovelace,ada@example.com'}
          onInput={(e) => setCsv(e.currentTarget.value)}
        />
        <div class="row end">
          <button type="submit" disabled={!csv.trim()}>
            Invite all
          </button>
        </div>
      </form>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

export function Invitations() {
  const list = useGet<{ invitations: Invitation[] }>('/api/invitations');
  const tasks = useGet<{ tasks: TaskSummary[] }>('/api/tasks');
  const assessments = useAssessments();
  const ready = useGet<{ capabilities?: Capabilities }>('/api/ready');
  const [links, setLinks] = useState<Linked[]>([]);
  const [msg, setMsg] = useState<string | null>(null);
  const emailEnabled = useEmailEnabled();
  useEffect(() => void (document.title = 'Invitations · worksample'), []);

  const act = async (what: string, f: () => Promise<Partial<Linked>>) => {
    setMsg(null);
    try {
      const r = await f();
      if (r.link && r.invitation) setLinks([r as Linked]);
      setMsg(what);
      list.reload();
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <section aria-labelledby="inv-h">
      <h1 id="inv-h">Invitations</h1>
      <ExportLinks />
      <EmailOffNotice enabled={emailEnabled} what="invitation links" />
      {tasks.data && (
        <CreateForms
          tasks={tasks.data.tasks}
          assessments={assessments}
          capabilities={ready.data?.capabilities}
          emailEnabled={emailEnabled}
          onCreated={(l, errors) => {
            setLinks(l);
            setMsg(errors?.length ? `Skipped: ${errors.join('; ')}` : `${l.length} invited.`);
            list.reload();
          }}
        />
      )}
      <NewLinks links={links} />
      {msg && (
        <p role="status" class="small">
          {msg}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {list.data && (
        <table class="grid" data-testid="invitations">
          <thead>
            <tr>
              <th scope="col">Candidate</th>
              <th scope="col">Task or assessment</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.invitations.map((i) => {
              const open = i.status === 'invited' || i.status === 'expired';
              const who = `${i.candidateName} (${i.candidateEmail})`;
              return (
                <tr key={i.id}>
                  <td>
                    {i.candidateName} <span class="muted small">{i.candidateEmail}</span>
                    {i.externalId && <span class="muted small"> · ATS id {i.externalId}</span>}
                  </td>
                  <td>
                    {i.assessment ? (
                      <>
                        {i.assessment.title}{' '}
                        <span class="muted small">
                          v{i.assessment.version} · {i.assessment.taskCount} tasks
                        </span>
                      </>
                    ) : (
                      <>
                        {i.taskSlug} <span class="muted small">v{i.taskVersion}</span>
                      </>
                    )}
                  </td>
                  <td>
                    <span class={`pill pill-${i.status}`}>{i.status}</span>
                  </td>
                  <td>{fmtTime(i.expiresAt)}</td>
                  <td>
                    <div class="row">
                      {open && (
                        <>
                          <button
                            type="button"
                            class="small"
                            aria-label={`Resend to ${who}`}
                            onClick={() =>
                              void act(emailEnabled ? 'New link made and emailed.' : 'New link made.', () =>
                                api('POST', `/api/invitations/${i.id}/resend`),
                              )
                            }
                          >
                            Resend
                          </button>
                          <button
                            type="button"
                            class="small"
                            aria-label={`Extend ${who} by 7 days`}
                            onClick={() =>
                              void act('Extended by 7 days.', () =>
                                api('POST', `/api/invitations/${i.id}/extend`, { days: 7 }),
                              )
                            }
                          >
                            Extend 7 days
                          </button>
                        </>
                      )}
                      {i.status === 'invited' && (
                        <button
                          type="button"
                          class="small danger"
                          aria-label={`Revoke ${who}`}
                          onClick={() =>
                            confirm(`Revoke the invitation for ${who}?`) &&
                            void act('Revoked.', () => api('POST', `/api/invitations/${i.id}/revoke`))
                          }
                        >
                          Revoke
                        </button>
                      )}
                      <DeliveryLog url={`/api/invitations/${i.id}/emails`} label={`Emails to ${who}`} />
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
