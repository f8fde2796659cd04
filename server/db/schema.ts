/** Row types for Kysely. Times are integer milliseconds since the epoch in both dialects. */
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'author' | 'reviewer';
  password_hash: string;
  created_at: number;
  disabled: number; // 0/1: portable boolean
  /** The OIDC identity this account is linked to (issuer + `sub`), set at the first SSO sign-in. */
  oidc_issuer: string | null;
  oidc_subject: string | null;
  /** invited: made by an admin's invite, no password set yet (cannot sign in). */
  state: Generated<'invited' | 'active'>;
}

/** An SSO sign-in between /api/auth/sso/start and the callback: used once. */
export interface SsoLoginsTable {
  id_hash: string; // sha256 of the browser's ws_sso cookie value + the state: binds the sign-in to that browser
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  created_at: number;
  expires_at: number;
}

/** A single-use, expiring link to set a staff password (invite or reset); only its sha256 is stored. */
export interface PasswordTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'invite' | 'reset';
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** One outgoing email (server/email/outbox.ts). */
export interface OutboxTable {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  /** Bodies are kept only until the message is sent or given up (they may hold a link's token). */
  text_body: string | null;
  html_body: string | null;
  invitation_id: string | null;
  user_id: string | null;
  /** One message per key (reminder:<invitation>, submitted:<attempt>); null: no dedupe. */
  dedupe_key: string | null;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  tries: number;
  next_try_at: number;
  /** While sending: until when the worker that took it holds it (renewed; past it, taken over). */
  lease_until?: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

/** A tail's position in attempt_events (the email tail's row is named 'email'). */
export interface EmailCursorTable {
  name: string;
  last_event_id: number;
}

export interface SessionsTable {
  id_hash: string; // sha256 of the cookie value; the value itself is never stored
  kind: 'staff' | 'candidate';
  user_id: string | null;
  invitation_id: string | null;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  /** Candidate sessions of an assessment: the task position this browser is on (null: the overview). */
  assessment_position?: number | null;
}

export interface BlobsTable {
  sha256: string;
  size: number;
  content: Uint8Array;
  created_at: number;
}

export interface TasksTable {
  id: string;
  slug: string;
  created_at: number;
}

export interface TaskVersionsTable {
  id: string;
  task_id: string;
  slug: string;
  version: number;
  content_hash: string;
  title: string;
  kind: 'code' | 'critique' | 'written';
  manifest_json: string;
  statement_md: string;
  created_at: number;
  imported_by: string | null;
}

export interface AssessmentsTable {
  id: string;
  slug: string;
  created_at: number;
}

/** An immutable assessment version: its manifest names the pinned task versions (server/assessments/). */
export interface AssessmentVersionsTable {
  id: string;
  assessment_id: string;
  slug: string;
  version: number;
  content_hash: string;
  title: string;
  manifest_json: string;
  created_at: number;
  imported_by: string | null;
}

export interface TaskVersionFilesTable {
  task_version_id: string;
  path: string;
  role: string;
  sha256: string;
  size: number;
}

export interface InvitationsTable {
  id: string;
  token_hash: string;
  task_version_id: string;
  candidate_name: string;
  candidate_email: string;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** 'verify': made by task verification, kept out of candidate lists, reviews and exports. */
  purpose: 'candidate' | 'verify';
  /** The applicant tracking system's id for this candidate or application (searchable; not unique). */
  external_id?: string | null;
  /** When the candidate first opened the link (null: not yet, or before migration 0014). */
  opened_at: number | null;
  /** An assessment invitation pins this version (task_version_id is then its first task's). */
  assessment_version_id?: string | null;
  /** When the candidate pressed Start on the assessment's intro page (overall clock: its start). */
  assessment_started_at?: number | null;
  /** When the candidate pressed "Submit all". */
  assessment_submitted_at?: number | null;
}

/** Invitation-level timeline (before any attempt exists): `invitation.opened`. Tailed by webhooks. */
export interface InvitationEventsTable {
  id: Generated<number>;
  invitation_id: string;
  at: number;
  type: string;
  payload_json: string;
}

/** An admin-configured webhook receiver (server/webhooks/). */
export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string;
  /** JSON array of subscribed event types. */
  events_json: string;
  enabled: number;
  /** The signing secret (needed in clear to sign; shown to the admin once). */
  secret: string;
  /** After a rotation the old secret also signs until previous_secret_until. */
  previous_secret: string | null;
  previous_secret_until: number | null;
  /** Deliveries that failed for good in a row (reset by a success). */
  consecutive_failures: number;
  disabled_reason: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  /** 'greenhouse': a callback made by send_test, hidden from the webhook pages (migration 0017). */
  kind?: 'webhook' | 'greenhouse';
  method?: 'POST' | 'PATCH';
}

/** One webhook event: its body frozen at fan-out, so every try and redelivery sends the same bytes. */
export interface WebhookEventsTable {
  id: string;
  type: string;
  source: string | null;
  occurred_at: number;
  body: string;
  created_at: number;
}

/** One (endpoint, event) delivery: a durable job pending → delivering → succeeded | failed. */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed';
  tries: number;
  next_attempt_at: number;
  /** While delivering: until when the worker that took it holds it (renewed; past it, taken over). */
  lease_until?: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

/** One HTTP try of a delivery, for the log admins read. */
export interface WebhookTriesTable {
  id: Generated<number>;
  delivery_id: string;
  try: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  response_excerpt: string;
  error: string | null;
}

/** One Greenhouse send_test: the invitation it made, the API token (customer) that asked, the callback. */
export interface GreenhouseInterviewsTable {
  id: string;
  invitation_id: string;
  token_id: string;
  callback_url: string | null;
  /** The hidden webhook endpoint (PATCH to callback_url) its completion is delivered through. */
  endpoint_id: string | null;
  created_at: number;
}

export interface WebhookCursorsTable {
  name: string;
  last_id: number;
  updated_at: number;
}

export interface AttemptsTable {
  id: string;
  invitation_id: string;
  task_version_id: string;
  status: 'started' | 'submitted' | 'graded';
  started_at: number;
  deadline_at: number;
  submitted_at: number | null;
  submit_reason: 'candidate' | 'deadline' | null;
  /** Bytes of stored revisions (file_revisions.data), held to MAX_ATTEMPT_STORAGE_BYTES. */
  stored_bytes: number;
  /** Of stored_bytes, those of edit logs (edit_logs), held to MAX_ATTEMPT_EDIT_LOG_BYTES. */
  edit_log_bytes: number;
  /** The task's place in its invitation's assessment (0-based; 0 for single-task invitations). */
  position?: number;
}

export interface WorkspaceFilesTable {
  attempt_id: string;
  path: string;
  sha256: string;
  size: number;
  revision: number;
  updated_at: number;
  /** The current bytes once saved through the workspace; null: in blobs under sha256 (starter files, older rows). */
  content: Uint8Array | null;
}

/** One stored revision of an attempt's file content (see server/workspace/delta.ts). */
export interface FileRevisionsTable {
  attempt_id: string;
  sha256: string;
  /** The revision a splice applies to; null for snapshots. */
  base_sha256: string | null;
  /** Splices between this revision and its snapshot (0: a snapshot). */
  depth: number;
  encoding: 'full' | 'full-deflate' | 'splice' | 'splice-deflate';
  /** Bytes of the content this revision stands for. */
  size: number;
  data: Uint8Array;
  created_at: number;
}

/** A reserved sign-in (or reset) check, counted against one throttle key (server/auth/rate-limit.ts). */
export interface LoginChecksTable {
  id: Generated<number>;
  /** Which throttle: 'login', 'reset' or 'sso' (sign-ins started). */
  scope: string;
  /** `pair:<account>\n<address>`, `account:<account>` or `address:<address>`. */
  key: string;
  /** The reservation the row belongs to (its three rows share it). */
  ticket: string;
  at: number;
}

/** The editor's changes between two saves of a file (server/workspace/edit-log.ts), for replay. */
export interface EditLogsTable {
  id: Generated<number>;
  attempt_id: string;
  path: string;
  /** The saved revision (or starter file) the edits start from. */
  base_sha256: string;
  /** The saved revision they rebuild. */
  sha256: string;
  edits: number;
  /** Changes the browser did not keep (over its caps) before this log. */
  dropped: number;
  /** The edits, encoded and deflated (encodeEdits). */
  data: Uint8Array;
  created_at: number;
}

export interface AttemptEventsTable {
  id: Generated<number>;
  attempt_id: string;
  at: number;
  type: string;
  path: string | null;
  sha256: string | null;
  revision: number | null;
  payload_json: string;
}

export interface RunsTable {
  id: string;
  attempt_id: string;
  kind: 'run' | 'test';
  argv_json: string;
  status: 'queued' | 'running' | 'done';
  verdict: string | null;
  exit_code: number | null;
  duration_ms: number | null;
  stdout: string;
  stderr: string;
  output_truncated: number;
  created_at: number;
  finished_at: number | null;
  /** `Run tests` only: the parsed per-test report (TestReport JSON). */
  tests_json?: string | null;
  /**
   * While unfinished: until when the process running it vouches for it (renewed while it runs); past
   * it, that process is gone and any replica cuts the run off (RunService.recover).
   */
  lease_until?: number | null;
}

/**
 * One row per grading of a submission: a durable job (queued → running → done, or retry_wait after an
 * engine error, or failed once the tries are spent or the error is not transient) and its result.
 * A re-grade adds a row; the attempt's current grade is the row not superseded (one per attempt).
 */
export interface GradesTable {
  id: string;
  attempt_id: string;
  status: 'queued' | 'running' | 'retry_wait' | 'done' | 'failed';
  /** Who asked: the candidate's submit, the deadline's auto-submit, or a staff re-grade. */
  reason: 'submit' | 'deadline' | 'regrade';
  /** The staff user who asked for a re-grade. */
  requested_by: string | null;
  /** What the staff user gave as the reason for a re-grade. */
  note: string | null;
  /** Tries started so far (a try cut off by a restart counts). */
  tries: number;
  /** When a queued or retry_wait job is due. */
  next_run_at: number;
  /** The last try's engine error (why it is waiting, or why it failed). */
  last_error: string | null;
  verdict: string | null;
  passed: number;
  failed: number;
  skipped: number;
  report_json: string;
  stdout: string;
  stderr: string;
  error: string | null;
  created_at: number;
  started_at: number | null;
  /** While running: until when the worker that took it holds it (renewed; past it, taken over). */
  lease_until?: number | null;
  finished_at: number | null;
  /** Set when a re-grade replaced this row as the attempt's current grade. */
  superseded_at: number | null;
}

export interface GatewayKeysTable {
  id: string;
  key_hash: string;
  attempt_id: string;
  /** attempt: the candidate's key; grade: the hidden tests' key during grading. */
  purpose: 'attempt' | 'grade';
  created_at: number;
  revoked_at: number | null;
}

export interface LlmCallsTable {
  id: string;
  attempt_id: string;
  key_id: string;
  purpose: 'attempt' | 'grade';
  /** The API called: chat (Chat Completions), responses, messages (Anthropic), embeddings, models. */
  endpoint: 'chat' | 'responses' | 'messages' | 'embeddings' | 'models';
  model: string;
  upstream_model: string | null;
  stream: number;
  request_json: string;
  response_json: string | null;
  /** Streamed content joined, or the message content. */
  content: string | null;
  status: number;
  error_code: string | null;
  /** Which mock rule answered (mock upstream). */
  rule: string | null;
  /** JSON array: every mock rule whose conditions held on the way to the answer (for `call:` counts). */
  rule_hits: string;
  /** Who made the call: the candidate's code, or the IDE assistant on the candidate's behalf. */
  origin: 'code' | 'assistant';
  /** 1 when the call counted against the key's request budget. */
  counted: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number | null;
  created_at: number;
  finished_at: number | null;
}

export interface ReviewAssignmentsTable {
  attempt_id: string;
  reviewer_id: string;
  assigned_at: number;
  due_at: number;
  /** null: assigned automatically (round robin) at submit. */
  assigned_by: string | null;
}

export interface ReviewsTable {
  attempt_id: string;
  reviewer_id: string;
  status: 'draft' | 'submitted';
  /** JSON: { [criterionId]: { level: 1-4, evidence: string } } */
  levels_json: string;
  /** 1 strong no, 2 no, 3 yes, 4 strong yes */
  recommendation: number | null;
  /** Private to the reviewer (and admins). */
  notes: string;
  updated_at: number;
  submitted_at: number | null;
}

export interface DecisionsTable {
  attempt_id: string;
  decided_by: string;
  decision: 'advance' | 'reject' | 'hold';
  reason: string;
  decided_at: number;
}

/** An API token (server/api-tokens/): the secret is shown once; only its sha256 is kept. */
export interface ApiTokensTable {
  id: string;
  name: string;
  secret_hash: string;
  /** JSON array of scopes (server/api-tokens/scopes.ts). */
  scopes_json: string;
  created_by: string;
  created_at: number;
  /** null: never expires. */
  expires_at: number | null;
  /** Updated at most once a minute. */
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

/** A stored response for an Idempotency-Key (server/idempotency/); status null while in progress. */
export interface IdempotencyKeysTable {
  /** Who sent it: `user:<id>` or `token:<id>`. */
  principal: string;
  /** sha256 of the key (the key itself is the encryption secret for the response). */
  key_hash: string;
  /** sha256 of method, path and the canonical JSON body. */
  request_hash: string;
  status: number | null;
  /** AES-256-GCM of the response body, base64 (iv, tag, ciphertext). */
  response: string | null;
  created_at: number;
  expires_at: number;
}

/** A sandbox worker (server/workers/): where it listens, capacity and load, liveness. */
export interface WorkersTable {
  id: string;
  url: string;
  max_sessions: number;
  sessions: number;
  /** 1 when its engine answers and its images are built; gateway_ready: LLM-task sessions possible. */
  ready: number;
  gateway_ready: number;
  detail: string | null;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

/** A live Run event, mirrored for followers on other replicas (server/runs/mirror.ts). */
export interface RunEventsTable {
  run_id: string;
  seq: number;
  /** The hub's event (seq, offsets, type, data) as JSON. */
  event_json: string;
  created_at: number;
}

export interface DB {
  api_tokens: ApiTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  email_cursor: EmailCursorTable;
  password_tokens: PasswordTokensTable;
  review_assignments: ReviewAssignmentsTable;
  reviews: ReviewsTable;
  decisions: DecisionsTable;
  gateway_keys: GatewayKeysTable;
  llm_calls: LlmCallsTable;
  runs: RunsTable;
  grades: GradesTable;
  users: UsersTable;
  sso_logins: SsoLoginsTable;
  sessions: SessionsTable;
  blobs: BlobsTable;
  tasks: TasksTable;
  task_versions: TaskVersionsTable;
  task_version_files: TaskVersionFilesTable;
  assessments: AssessmentsTable;
  assessment_versions: AssessmentVersionsTable;
  invitations: InvitationsTable;
  attempts: AttemptsTable;
  workspace_files: WorkspaceFilesTable;
  file_revisions: FileRevisionsTable;
  edit_logs: EditLogsTable;
  login_checks: LoginChecksTable;
  workers: WorkersTable;
  run_events: RunEventsTable;
  attempt_events: AttemptEventsTable;
  invitation_events: InvitationEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_tries: WebhookTriesTable;
  webhook_cursors: WebhookCursorsTable;
  greenhouse_interviews: GreenhouseInterviewsTable;
}
