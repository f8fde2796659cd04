/**
 * Listening for the API on one or several addresses. Attack stopped: in attach mode (see
 * server/sandbox/docker/attach.ts) the server's container joins every sandbox network, so a wildcard
 * bind (0.0.0.0) would answer sandboxes on the API port; there the API binds only the addresses the
 * container had on its own networks, and the port is not open on any sandbox network.
 */
import { serve, type ServerType } from '@hono/node-server';
import { ConfigError } from '../config/index.ts';

export const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

export interface Listening {
  port: number;
  servers: ServerType[];
  /** Stops accepting connections and closes idle keep-alive ones; open requests go on. */
  stopAccepting(): void;
  /** Resolves when every connection is closed; after graceMs the rest are cut. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `fetch` on every host at one port (port 0: the first bind picks it, the rest reuse it);
 * `upgrades` hooks each server's WebSocket upgrades to the app (createHttp's injectWebSocket).
 */
export async function listenAll(
  fetch: (req: Request) => Response | Promise<Response>,
  hosts: string[],
  port: number,
  upgrades?: (server: import('node:http').Server) => void,
): Promise<Listening> {
  const servers: ServerType[] = [];
  let chosen = port;
  try {
    for (const hostname of hosts) {
      const server = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch, hostname, port: chosen }, () => resolve(s));
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE'
              ? new ConfigError([`PORT=${port}: the port is already in use; choose a free port`])
              : err,
          ),
        );
      });
      servers.push(server);
      upgrades?.(server as import('node:http').Server);
      const address = server.address();
      if (typeof address === 'object' && address) chosen = address.port;
    }
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    closed ??= closeAll(servers);
    for (const s of servers) (s as import('node:http').Server).closeIdleConnections?.();
  };
  return {
    port: chosen,
    servers,
    stopAccepting,
    async close(graceMs = 1000) {
      stopAccepting();
      const cut = setTimeout(() => {
        for (const s of servers) (s as import('node:http').Server).closeAllConnections?.();
      }, graceMs);
      await closed;
      clearTimeout(cut);
    },
  };
}

function closeAll(servers: ServerType[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
    () => undefined,
  );
}
