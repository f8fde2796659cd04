/**
 * The gateway listener next to a worker's sandboxes. A sandbox on an LLM task reaches exactly one host
 * port — the gateway port on its network's bridge address (the host firewall drops everything else) —
 * and on a worker host no gateway runs there: this listener takes the connection and pipes its bytes to
 * the API servers' gateway (`WORKER_GATEWAY_UPSTREAM`), which checks the attempt's key and the live-Run
 * window as it does for its own sandboxes. It forwards bytes only: it parses nothing, holds no secret,
 * and answers on no address but the sandbox networks' (refcounted, like the gateway's own listeners).
 */
import net from 'node:net';
import { AddressListeners } from '../platform/index.ts';

export interface Upstream {
  host: string;
  port: number;
}

export function parseUpstream(hostPort: string): Upstream {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) };
}

export class GatewayForwarder {
  private readonly sockets = new Set<net.Socket>();
  private readonly listeners: AddressListeners<net.Server>;

  constructor(
    private readonly upstream: Upstream,
    /** The port sandboxes call (GATEWAY_PORT: the same on every worker and server). */
    port: number,
  ) {
    this.listeners = new AddressListeners(
      (address) =>
        new Promise((resolve, reject) => {
          const s = net.createServer((inbound) => this.pipe(inbound));
          s.once('error', reject);
          s.listen({ host: address, port }, () => resolve(s));
        }),
    );
  }

  up(address: string): Promise<void> {
    return this.listeners.up(address);
  }

  down(address: string): Promise<void> {
    return this.listeners.down(address);
  }

  /** Addresses listened on now (tests, status). */
  get addresses(): string[] {
    return this.listeners.addresses;
  }

  private pipe(inbound: net.Socket): void {
    const outbound = net.connect(this.upstream);
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      // Either side failing ends both: the SDK in the sandbox sees a reset and retries or reports it.
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await this.listeners.closeAll();
  }
}
