// Types for the bridge, so the server's tests can drive it (the file itself is plain JS for Node 18).
import type { Socket } from 'node:net';

export declare const MAX_LINE: number;

export declare class SubjectError extends Error {}

export interface PeerOptions {
  exports?: Record<string, unknown>;
  timeoutMs?: number;
  trusted?: boolean;
  onMessage?: (msg: any) => void;
  onClose?: (err: Error, why: 'timeout' | 'closed') => void;
  describeTarget?: (target: { name?: string; fn?: number; label?: string }) => string;
}

export declare class Peer {
  constructor(socket: Socket, opts?: PeerOptions);
  closed: Error | undefined;
  send(msg: unknown): void;
  request(
    target: { name: string } | { fn: number; label?: string },
    args: unknown[],
    timeoutMs?: number,
  ): Promise<any>;
  close(err: Error, why?: 'timeout' | 'closed'): void;
  encode(value: unknown): unknown;
  decode(value: unknown): any;
  decodeError(value: unknown): Error;
}
