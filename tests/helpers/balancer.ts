/**
 * A plain TCP load balancer for tests: each connection goes to the next backend in turn, and to the
 * one after it when that one refuses (a dead replica), the way a load balancer with health checks
 * routes around a dead backend. With one backend it is a proxy. Used in front of several `serve`
 * replicas (HTTP and gateway) and between worker hosts and this machine (tests/helpers/worker-host.ts).
 */
import net from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface Balancer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `address:port` (0: a free port) and spreads connections over `backends`. */
export function startBalancer(address: string, port: number, backends: Backend[]): Promise<Balancer> {
  let next = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    open.add(inbound);
    inbound.once('close', () => open.delete(inbound));
    inbound.pause();
    const first = next++ % backends.length;
    const attempt = (tried: number) => {
      if (tried === backends.length) return inbound.destroy();
      const outbound = net.connect(backends[(first + tried) % backends.length]!);
      open.add(outbound);
      outbound.once('close', () => open.delete(outbound));
      const refused = () => attempt(tried + 1);
      outbound.once('error', refused);
      outbound.once('connect', () => {
        outbound.off('error', refused);
        const end = () => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.on('error', end);
        outbound.on('error', end);
        inbound.on('close', end);
        outbound.on('close', end);
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
      });
    };
    inbound.on('error', () => {});
    attempt(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port }, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
