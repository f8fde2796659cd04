/**
 * Minimal shell proving the web build is wired to the API. The candidate workspace (Monaco, files,
 * runs) arrives with the web issue; this page shows server status and, for a candidate who opened
 * an invitation, the task facts and a Start button.
 */
interface Candidate {
  candidateName: string;
  task: { title: string; summary: string; timeLimitMinutes: number; statement?: string };
  attempt: { status: string; deadlineAt: number; serverNow: number } | null;
  csrfToken: string;
}

const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

async function render() {
  const ready = await fetch('/api/ready').then(
    (r) =>
      r.json() as Promise<{
        ok: boolean;
        database: { dialect: string };
        sandbox: { driver: string; warning?: string };
      }>,
  );
  app.replaceChildren(el('h1', 'worksample'));
  // The local sandbox gives no isolation: everyone who opens the app is told.
  if (ready.sandbox.warning) {
    app.append(
      el('p', ready.sandbox.warning, { class: 'banner', role: 'alert', 'data-testid': 'sandbox-warning' }),
    );
  }
  const status = el(
    'p',
    `Server ${ready.ok ? 'ready' : 'not ready'} · database ${ready.database.dialect} · sandbox ${ready.sandbox.driver}`,
    { 'data-testid': 'status' },
  );
  app.append(status);

  const res = await fetch('/api/candidate');
  if (res.status !== 200) {
    app.append(
      el(
        'p',
        'Open the invitation link you were sent to begin. Staff: use the API or CLI for now (see the README).',
      ),
    );
    return;
  }
  const view = (await res.json()) as Candidate;
  app.append(el('h2', view.task.title), el('p', view.task.summary));
  const facts = el('dl');
  facts.append(
    el('dt', 'Candidate'),
    el('dd', view.candidateName),
    el('dt', 'Time limit'),
    el('dd', `${view.task.timeLimitMinutes} minutes`),
  );
  if (view.attempt) {
    const left = Math.max(0, view.attempt.deadlineAt - view.attempt.serverNow);
    facts.append(
      el('dt', 'Status'),
      el('dd', view.attempt.status),
      el('dt', 'Time left'),
      el('dd', `${Math.floor(left / 60000)} min`),
    );
  }
  app.append(facts);
  if (!view.attempt) {
    const start = el('button', 'Start — the clock starts now', { type: 'button' });
    start.addEventListener('click', async () => {
      const r = await fetch('/api/candidate/start', {
        method: 'POST',
        headers: { 'x-csrf-token': view.csrfToken },
      });
      if (!r.ok)
        app.append(
          el('p', ((await r.json()) as { error: { message: string } }).error.message, {
            class: 'error',
            role: 'alert',
          }),
        );
      else await render();
    });
    app.append(start);
  } else if (view.task.statement) {
    app.append(el('h3', 'Statement'), el('pre', view.task.statement));
  }
}

render().catch((err: unknown) => {
  app.replaceChildren(
    el('h1', 'worksample'),
    el('p', `Could not reach the server: ${String(err)}. Reload to try again.`, {
      class: 'error',
      role: 'alert',
    }),
  );
});
