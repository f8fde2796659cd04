/**
 * The gateway listener next to a worker's sandboxes. A sandbox on an LLM task reaches exactly one host
 * port — the gateway port on its network's bridge address (the host firewall drops everything else) —
 * and on a worker host no gateway runs there: this listener takes the connection and pipes its bytes to
 * the API servers' gateway (`WORKER_GATEWAY_UPSTREAM`), which checks the attempt's key and the live-Run
 * window as it does for its own sandboxes. It forwards bytes only: it parses nothing, holds no secret,
 * and answers on no address but the sandbox networks' (refcounted, like the gateway's own listeners).
 */
import net from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export function parseUpstream(hostPort: string): Upstream {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) };
}

export class GatewayForwarder {
  private readonly servers = new Map<string, { server: Promise<net.Server>; refs: number }>();
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly upstream: Upstream,
    /** The port sandboxes call (GATEWAY_PORT: the same on every worker and server). */
    private readonly port: number,
  ) {}

  async up(address: string): Promise<void> {
    const entry = this.servers.get(address);
    if (entry) {
      entry.refs++;
      await entry.server;
      return;
    }
    const server = new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer((inbound) => this.pipe(inbound));
      s.once('error', reject);
      s.listen({ host: address, port: this.port }, () => resolve(s));
    });
    this.servers.set(address, { server, refs: 1 });
    server.catch(() => this.servers.delete(address));
    await server;
  }

  async down(address: string): Promise<void> {
    const entry = this.servers.get(address);
    if (!entry || --entry.refs > 0) return;
    this.servers.delete(address);
    const s = await entry.server.catch(() => undefined);
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  /** Addresses listened on now (tests, status). */
  get addresses(): string[] {
    return [...this.servers.keys()];
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
    for (const address of [...this.servers.keys()]) {
      this.servers.get(address)!.refs = 1;
      await this.down(address);
    }
  }
}
