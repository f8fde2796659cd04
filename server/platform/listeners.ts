/**
 * Listeners on addresses that come and go with sandbox networks, refcounted: several sessions on one
 * network share one listener, which closes when the last of them goes. Used by the LLM gateway (its
 * HTTP app on each network's address) and by a sandbox worker's gateway forwarder.
 */
export interface Closable {
  close(callback?: (err?: Error) => void): unknown;
}

export class AddressListeners<S extends Closable> {
  private readonly servers = new Map<string, { server: Promise<S>; refs: number }>();

  constructor(private readonly open: (address: string) => Promise<S>) {}

  /** Listens on the address (or counts one more user of its listener). */
  async up(address: string): Promise<void> {
    const entry = this.servers.get(address);
    if (entry) {
      entry.refs++;
      await entry.server;
      return;
    }
    const server = this.open(address);
    this.servers.set(address, { server, refs: 1 });
    server.catch(() => this.servers.delete(address));
    await server;
  }

  /** One user fewer; the listener closes with its last one. */
  async down(address: string): Promise<void> {
    const entry = this.servers.get(address);
    if (!entry || --entry.refs > 0) return;
    this.servers.delete(address);
    const s = await entry.server.catch(() => undefined);
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  /** Addresses listened on now. */
  get addresses(): string[] {
    return [...this.servers.keys()];
  }

  async closeAll(): Promise<void> {
    for (const address of this.addresses) {
      this.servers.get(address)!.refs = 1;
      await this.down(address);
    }
  }
}
