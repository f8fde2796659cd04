/**
 * The wire between API servers (`RemoteDriver`) and a sandbox worker (`createWorkerApp`): JSON bodies,
 * file contents in base64, and an exec answered as a stream of newline-delimited JSON frames. Every
 * request carries `Authorization: Bearer <WORKER_TOKEN>`; bodies are validated on arrival (a worker
 * trusts the token, not the shape).
 */
import { z } from 'zod';

const limits = z.object({
  wallMs: z.number().int().positive(),
  memoryBytes: z.number().int().positive(),
  cpus: z.number().positive(),
  pids: z.number().int().positive(),
  outputBytes: z.number().int().positive(),
  fileSizeBytes: z.number().int().positive(),
  openFiles: z.number().int().positive(),
  workspaceBytes: z.number().int().positive(),
  tmpBytes: z.number().int().positive(),
});

export const sessionSpec = z.object({
  env: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
  purpose: z.enum(['attempt', 'grade', 'verify', 'test', 'pool']),
  ownerId: z.string().max(200),
  limits,
  network: z.enum(['none', 'gateway']),
});

/**
 * Names the calling API process on every request (`<SANDBOX_INSTANCE>.<random>`, new at each start):
 * a worker lists and removes only that process's sessions for it, and removes the sessions of a process
 * that stopped calling.
 */
export const OWNER_HEADER = 'x-worksample-owner';

/** Creating a session: what for, and which API deployment owns it (its orphan sweep lists only its own). */
export const createBody = z.object({ spec: sessionSpec, owner: z.string().min(1).max(80) });

export const fileWire = z.object({ path: z.string().min(1).max(1024), content: z.string() });
export const putFilesBody = z.object({
  files: z.array(fileWire).max(10_000),
  deletes: z.array(z.string().min(1).max(1024)).max(10_000).default([]),
});
export const getFilesBody = z.object({
  maxBytes: z.number().int().positive().optional(),
  under: z.string().max(1024).optional(),
});

export const execBody = z.object({
  argv: z.array(z.string()).min(1).max(1000),
  user: z.enum(['candidate', 'harness']).optional(),
  env: z.record(z.string(), z.string()).optional(),
  stdin: z.string().optional(),
  closeStdin: z.boolean().optional(),
});
export const inputBody = z.object({ data: z.string().optional(), close: z.boolean().optional() });
export const sizeBody = z.object({
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});

/** One line of an exec's answer. */
export type ExecFrame =
  | { t: 'id'; id: string }
  | { t: 'o' | 'e'; d: string }
  | { t: 'k' }
  | { t: 'r'; r: unknown }
  | { t: 'x'; message: string };

/** Error bodies: `capacity` (this worker is full), `shortage` (try later), `unknown_session`, `failed`. */
export interface WireError {
  error: 'capacity' | 'shortage' | 'unknown_session' | 'unauthorized' | 'invalid' | 'failed';
  message: string;
  resource?: 'addresses' | 'engine';
}

export interface WorkerStatusBody {
  id: string;
  driver: string;
  ready: boolean;
  gatewayReady: boolean;
  detail?: string;
  sessions: number;
  maxSessions: number;
}
