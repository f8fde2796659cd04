/**
 * The LLM gateway: OpenAI- and Anthropic-compatible endpoints on their own port for candidates' code. It listens on
 * loopback and on the gateway address of each sandbox's private network (nowhere else), issues one
 * key per attempt at start and revokes it at submit, and gives grading its own short-lived key.
 */
import { serve, type ServerType } from '@hono/node-server';
import { AddressListeners, type AttemptHooks, type ServiceContext } from '../platform/index.ts';
import type { LlmProvider, LlmUpstream } from '../llm/index.ts';
import type { LlmAccess } from '../runs/index.ts';
import { createGatewayApp } from './app.ts';
import { issueKey, revokeKeys } from './keys.ts';
import { CallRecorder } from './record.ts';
import { Reservations } from './reserve.ts';

export { createGatewayApp } from './app.ts';
export { usageOf, policyLoader } from './policy.ts';
export { KEY_PREFIX } from './keys.ts';

export class Gateway implements AttemptHooks, LlmAccess {
  readonly app: ReturnType<typeof createGatewayApp>;
  /** attempt id → the raw key of the candidate's runs (memory only; the database has hashes). */
  private readonly keys = new Map<string, Promise<string>>();
  private readonly gradeKeys = new Map<string, Promise<string>>();
  private readonly listeners = new AddressListeners<ServerType>(
    (address) =>
      new Promise((resolve, reject) => {
        const s = serve({ fetch: this.app.fetch, hostname: address, port: this.port }, () => resolve(s));
        s.once('error', reject);
      }),
  );
  /** `attempt/purpose` → live Runs or gradings using that key (see openWindow). */
  private readonly windows = new Map<string, number>();

  /** Records every call; shared by the port's app and the assistant's. */
  private readonly recorder: CallRecorder;

  constructor(
    private readonly ctx: ServiceContext,
    upstream: LlmUpstream,
    readonly port: number,
    providers?: Partial<Record<LlmProvider, LlmUpstream>>,
    /**
     * Several API replicas share the database (Postgres): a call may reach this gateway while another
     * replica runs the attempt's Run or grading (the run's or grading's row says so), and every replica
     * holds its own raw key for an attempt (issuing one never revokes another's; submit revokes all).
     */
    private readonly replicated = false,
  ) {
    this.recorder = new CallRecorder(ctx);
    const shared = {
      ctx,
      upstream,
      providers,
      recorder: this.recorder,
      reservations: new Reservations(),
    };
    this.app = createGatewayApp({ ...shared, isLive: (a, p) => this.isLive(a, p) });
    this.assistantApp = createGatewayApp({ ...shared, origin: 'assistant' });
  }

  /** The in-process app of the IDE assistant: never served on a port (see `assistant`). */
  private readonly assistantApp: ReturnType<typeof createGatewayApp>;

  /**
   * A model call made by the IDE assistant for the candidate of `attemptId`: any gateway API path
   * (`/v1/chat/completions`, `/v1/responses`, `/v1/messages`) and body, answered exactly as the
   * candidate's code would be — same key checks (refused once the attempt is submitted or over), same
   * budgets (the attempt's own), same upstreams and mock script — but usable between Runs and recorded
   * with origin 'assistant' so reviewers tell it apart from calls the code made. Callers must have
   * checked that the requester may write to the attempt.
   */
  async assistant(
    attemptId: string,
    path: `/v1/${string}`,
    body: unknown,
    opts: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const key = await this.keyFor(this.keys, attemptId, 'attempt');
    return this.assistantApp.request(`http://assistant${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        ...opts.headers,
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
  }

  /** True while a Run (attempt key) or grading (grade key) of the attempt is live, here or on a replica. */
  async isLive(attemptId: string, purpose: 'attempt' | 'grade'): Promise<boolean> {
    if ((this.windows.get(`${attemptId}/${purpose}`) ?? 0) > 0) return true;
    if (!this.replicated) return false;
    // The Run's row (attempt key) or the grading's (grade key), running on any replica.
    const row = await this.ctx.db
      .selectFrom(purpose === 'attempt' ? 'runs' : 'grades')
      .select('id')
      .where('attempt_id', '=', attemptId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Opens the window in which the attempt's key of this purpose is accepted; the returned function
   * closes it (once). Runs open it when their exec starts and close it after their processes are gone.
   */
  openWindow(attemptId: string, purpose: 'attempt' | 'grade'): () => void {
    const k = `${attemptId}/${purpose}`;
    this.windows.set(k, (this.windows.get(k) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const n = (this.windows.get(k) ?? 1) - 1;
      if (n > 0) this.windows.set(k, n);
      else this.windows.delete(k);
    };
  }

  /** Starts listening on an address (refcounted: several networks can come and go). */
  up(address: string): Promise<void> {
    return this.listeners.up(address);
  }

  down(address: string): Promise<void> {
    return this.listeners.down(address);
  }

  private keyFor(map: Map<string, Promise<string>>, attemptId: string, purpose: 'attempt' | 'grade') {
    let key = map.get(attemptId);
    if (!key) {
      // A key from before a restart is unknown here (only its hash is stored): replace it. Replicas
      // each hold their own, so there none is revoked here.
      key = (this.replicated ? Promise.resolve() : revokeKeys(this.ctx, attemptId, purpose)).then(
        async () => (await issueKey(this.ctx, attemptId, purpose)).key,
      );
      key.catch(() => map.delete(attemptId));
      map.set(attemptId, key);
    }
    return key;
  }

  private readonly gradeWindows = new Map<string, () => void>();

  async envFor(
    attemptId: string,
    purpose: 'attempt' | 'grade',
    address = '127.0.0.1',
  ): Promise<Record<string, string>> {
    // Grading asks for its key just before its exec and ends with endGrading (after its sandbox is
    // destroyed): that is its window.
    if (purpose === 'grade' && !this.gradeWindows.has(attemptId))
      this.gradeWindows.set(attemptId, this.openWindow(attemptId, 'grade'));
    const key = await this.keyFor(purpose === 'attempt' ? this.keys : this.gradeKeys, attemptId, purpose);
    const host = address.includes(':') ? `[${address}]` : address;
    // The same key for both SDKs; Anthropic's appends /v1 itself.
    const origin = `http://${host}:${this.port}`;
    return {
      OPENAI_BASE_URL: `${origin}/v1`,
      OPENAI_API_KEY: key,
      ANTHROPIC_BASE_URL: origin,
      ANTHROPIC_API_KEY: key,
    };
  }

  async endGrading(attemptId: string): Promise<void> {
    this.gradeWindows.get(attemptId)?.();
    this.gradeWindows.delete(attemptId);
    this.gradeKeys.delete(attemptId);
    this.recorder.forgetGradings(attemptId);
    await revokeKeys(this.ctx, attemptId, 'grade');
  }

  attemptStarted(attemptId: string): void {
    this.keyFor(this.keys, attemptId, 'attempt').catch((err) =>
      this.ctx.logger.error({ err, attemptId }, 'could not issue a gateway key'),
    );
  }

  attemptSubmitted(attemptId: string): void {
    this.keys.delete(attemptId);
    revokeKeys(this.ctx, attemptId, 'attempt').catch((err) =>
      this.ctx.logger.error({ err, attemptId }, 'could not revoke gateway keys'),
    );
  }

  close(): Promise<void> {
    return this.listeners.closeAll();
  }
}
