/** The contract between the server and whatever runs candidate code. */

/** Every limit a job runs under. Nothing relies on a default inside a driver. */
export interface SandboxLimits {
  /** Wall-clock limit of one exec, milliseconds. */
  wallMs: number;
  /** Memory (and memory+swap: no swap), bytes. */
  memoryBytes: number;
  /** CPU share, in cores (e.g. 1 = one full core). */
  cpus: number;
  /** Maximum number of processes/threads. */
  pids: number;
  /** Output kept per stream (stdout, stderr), bytes; past it the run is stopped with verdict output-limit. */
  outputBytes: number;
  /** Largest file a process may write (ulimit fsize), bytes. */
  fileSizeBytes: number;
  /** Open files per process (ulimit nofile). */
  openFiles: number;
  /** Size of the /workspace filesystem, bytes. */
  workspaceBytes: number;
  /** Size of the /tmp filesystem, bytes. */
  tmpBytes: number;
}

export const defaultLimits: SandboxLimits = {
  wallMs: 20_000,
  memoryBytes: 512 * 1024 * 1024,
  cpus: 1,
  pids: 128,
  outputBytes: 1024 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 256,
  workspaceBytes: 64 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
};

export interface SandboxFile {
  path: string;
  content: Buffer;
}

export interface SessionSpec {
  /** Environment name (sandboxes/<env>/). */
  env: string;
  /** What the session is for; carried as a label so orphans can be recognised. */
  purpose: 'attempt' | 'grade' | 'verify' | 'test' | 'pool';
  /** Owner id (attempt id) carried as a label. */
  ownerId: string;
  limits: SandboxLimits;
  /** 'none' (default) or a private network that reaches only the LLM gateway. */
  network: 'none' | 'gateway';
}

export interface SandboxSession {
  readonly id: string;
  readonly spec: SessionSpec;
  /** Address the LLM gateway must listen on for this session (network 'gateway' only). */
  readonly gatewayAddress?: string;
  /** Absolute path of the workspace as the session's processes see it (default /workspace). */
  readonly workspacePath?: string;
}

export type Verdict = 'ok' | 'error' | 'timeout' | 'out-of-memory' | 'output-limit' | 'cancelled';

export interface ExecRequest {
  argv: string[];
  /**
   * Who runs it: the candidate's uid in the workspace (default), or the grading harness — a uid the
   * candidate's processes can neither signal nor read, in a private folder outside the workspace.
   * Only grading code sets 'harness'; Runs never do, and nothing a task or candidate sends reaches it.
   */
  user?: 'candidate' | 'harness';
  /** Extra environment (never secrets of the server). */
  env?: Record<string, string>;
  /** Optional stdin: a string written at start, and/or more via the returned handle. */
  stdin?: string;
  /** Close stdin after the initial string (default true when no interactive input is expected). */
  closeStdin?: boolean;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface CapturedStream {
  text: string;
  bytes: number;
  truncated: boolean;
}

export interface ExecResult {
  verdict: Verdict;
  exitCode: number | null;
  durationMs: number;
  stdout: CapturedStream;
  stderr: CapturedStream;
  /**
   * The end-of-exec cleanup: every candidate process in the session was ended and none is left
   * (ok), or some survived every attempt (the caller must destroy the session).
   */
  cleanup?: { ok: boolean; detail?: string };
}

export interface RunningExec {
  /** Writes to the program's stdin. */
  write(data: string): void;
  /** Closes stdin (EOF). */
  closeStdin(): void;
  /** Stops the program; the result's verdict becomes 'cancelled'. */
  cancel(): void;
  readonly result: Promise<ExecResult>;
}

/** An interactive shell on a terminal (pty) in a session: the workspace's Terminal panel. */
export interface ShellRequest {
  cols: number;
  rows: number;
  /** Everything the terminal prints (output and echo), raw bytes. */
  onData: (chunk: Buffer) => void;
}

export interface RunningShell {
  /** Sends keystrokes to the terminal. */
  write(data: string): void;
  /** Sets the terminal's size (what `stty size` and full-screen programs see). */
  resize(cols: number, rows: number): Promise<void>;
  /** Stops reading output (the program blocks once the terminal's buffer is full), and goes on. */
  pause(): void;
  resume(): void;
  /** Ends the shell and every process of its terminal session. */
  kill(): Promise<void>;
  /** Resolves once the shell has ended (it exited, was killed, or its container went away). */
  readonly ended: Promise<{ exitCode: number | null }>;
}

export interface SandboxStatus {
  driver: 'docker' | 'local' | 'none';
  ready: boolean;
  /** Shown to staff and candidates when the driver gives no isolation. */
  warning?: string;
  detail?: string;
  /**
   * Whether sessions on a 'gateway' network (tasks that use the LLM) can be created, and why not.
   * Absent means "same as ready" (drivers without private networks).
   */
  gatewayNetworks?: { ready: boolean; detail?: string };
}

export interface SandboxDriver {
  readonly name: 'docker' | 'local' | 'none';
  status(): Promise<SandboxStatus>;
  /** A workspace to run in (a container, or a temp folder for the local driver). */
  createSession(spec: SessionSpec): Promise<SandboxSession>;
  /** Copies files into /workspace (replacing same-named files) and deletes the listed paths. */
  putFiles(session: SandboxSession, files: SandboxFile[], deletes?: string[]): Promise<void>;
  /** Regular files under /workspace; symlinks and special files are skipped, never followed. */
  getFiles(session: SandboxSession, opts?: { maxBytes?: number; under?: string }): Promise<SandboxFile[]>;
  exec(session: SandboxSession, req: ExecRequest): RunningExec;
  /**
   * An interactive shell as the candidate uid in /workspace, under the session's limits and network,
   * with no wall clock (it lives until killed or the session ends). Drivers that cannot give one
   * without handing out a host shell (local) leave it out.
   */
  shell?(session: SandboxSession, req: ShellRequest): Promise<RunningShell>;
  /**
   * Kills every process the candidate started in the session (runs, background jobs), and checks
   * that none is left; throws when some survive (the caller then destroys the session).
   */
  stopProcesses(session: SandboxSession): Promise<void>;
  destroy(session: SandboxSession): Promise<void>;
  /**
   * Whether the session still runs (the engine did not stop or remove it under a job). Drivers
   * without a way to lose a session leave it out (always alive).
   */
  alive?(session: SandboxSession): Promise<boolean>;
  /**
   * True when the session's gateway address is served by someone else (a sandbox worker's forwarder),
   * so this process must not listen there itself.
   */
  readonly gatewayElsewhere?: boolean;
  /**
   * Known lost without asking (its sandbox worker stopped answering or restarted): the manager drops it
   * and makes a new one. Drivers that cannot tell leave it out.
   */
  gone?(session: SandboxSession): boolean;
  /** Sessions this driver created (found by label) that the caller does not hold as live. */
  listOrphans(
    isLive: (sessionId: string) => boolean,
  ): Promise<Array<{ id: string; ownerId: string; purpose: string }>>;
  removeOrphan(id: string): Promise<void>;
  /**
   * Startup housekeeping of this driver (leftover networks and volumes; images built in the
   * background when missing and `autoBuild` allows). Resolves when startup is done; `building`,
   * if set, resolves once images built in the background are ready.
   */
  prepare?(opts: PrepareOptions): Promise<{ building?: Promise<void> }>;
  /**
   * When this process joins sandbox networks itself (the gateway's attach mode), the only addresses
   * the API may bind (never the wildcard, which would answer on sandbox networks); else undefined.
   */
  apiAddresses?(): Promise<string[] | undefined>;
  /** Networks and volumes of this instance left without a container. */
  removeDanglingResources?(): Promise<void>;
  close(): Promise<void>;
}

export interface PrepareOptions {
  /** Build missing images now (first start on a machine with an engine). */
  autoBuild: boolean;
  log: (line: string) => void;
}

/**
 * A transient lack of resources: no free sandbox subnet, or an engine too busy to create a session
 * now. Not the job's fault and not permanent: the sandbox manager puts the job back at the head of
 * the queue and tries again after a backoff, so a Run or a grading waits instead of failing.
 */
export class ResourceShortage extends Error {
  constructor(
    /** 'addresses': no sandbox subnet is free; 'engine': the engine refused or timed out for now. */
    readonly resource: 'addresses' | 'engine',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ResourceShortage';
  }
}

export const isResourceShortage = (err: unknown): err is ResourceShortage => err instanceof ResourceShortage;
