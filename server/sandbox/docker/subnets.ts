/**
 * Subnets for sandbox networks. Every LLM-task sandbox gets its own internal network; left to
 * Docker, each takes a /16 or /20 from the engine's default address pools, which run out after
 * about 30 networks ("could not find an available, non-overlapping IPv4 address pool"), and every
 * LLM-task Run past that failed. Instead each network gets a /28 (16 addresses: the bridge, the
 * sandbox, in attach mode the server) from one private range (SANDBOX_SUBNET_POOL, 4096 of them in
 * a /16). Pure bookkeeping: which subnets this process holds and which other networks on the engine
 * hold (another deployment, a test's driver); the driver learns the latter from the engine and
 * retries when Docker still reports an overlap (another process created one meanwhile).
 */
import { formatCidr, ipv4ToString, overlaps, parseCidr, type Ipv4Range } from '../../config/index.ts';

export interface Subnet {
  /** e.g. 10.213.0.16/28 */
  cidr: string;
  /** The first host address: the bridge's (host mode: where the gateway listens). */
  gateway: string;
}

export class SubnetAllocator {
  private readonly pool: Ipv4Range;
  private readonly count: number;
  private readonly step: number;
  /** Indexes of subnets this process holds. */
  private readonly mine = new Set<number>();
  /** Indexes of subnets overlapping another network on the engine (as last listed). */
  private foreign = new Set<number>();
  /** Where the next search starts: released subnets are reused last (stale ARP/conntrack entries age out). */
  private cursor = 0;

  constructor(
    pool: string,
    readonly prefix = 28,
  ) {
    const range = parseCidr(pool);
    if (!range || range.prefix > prefix) throw new Error(`not a usable subnet pool: ${pool}`);
    this.pool = range;
    this.step = 2 ** (32 - prefix);
    this.count = 2 ** (prefix - range.prefix);
  }

  /** How many subnets the pool holds. */
  get capacity(): number {
    return this.count;
  }

  /** How many this process holds now. */
  get inUse(): number {
    return this.mine.size;
  }

  /** Replaces what is known of other networks' subnets (CIDRs; those outside the pool are ignored). */
  setForeign(cidrs: Iterable<string>): void {
    this.foreign = new Set();
    for (const c of cidrs) this.addForeign(c);
  }

  /** Marks the subnets a CIDR overlaps as taken by someone else. */
  addForeign(cidr: string): void {
    const r = parseCidr(cidr);
    if (!r || !overlaps(r, this.pool)) return;
    const first = Math.max(0, Math.floor((r.base - this.pool.base) / this.step));
    const last = Math.min(
      this.count - 1,
      Math.floor((r.base + 2 ** (32 - r.prefix) - 1 - this.pool.base) / this.step),
    );
    for (let i = first; i <= last; i++) this.foreign.add(i);
  }

  /** A free subnet, now held by this process; undefined when every one is taken. */
  take(): Subnet | undefined {
    for (let n = 0; n < this.count; n++) {
      const i = (this.cursor + n) % this.count;
      if (this.mine.has(i) || this.foreign.has(i)) continue;
      this.mine.add(i);
      this.cursor = (i + 1) % this.count;
      const base = this.pool.base + i * this.step;
      return { cidr: formatCidr({ base, prefix: this.prefix }), gateway: ipv4ToString(base + 1) };
    }
    return undefined;
  }

  /** Gives a subnet back (no-op for one this process does not hold). */
  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.mine.delete(i);
  }

  /** True when this process holds the subnet. */
  holds(cidr: string): boolean {
    const i = this.indexOf(cidr);
    return i !== undefined && this.mine.has(i);
  }

  private indexOf(cidr: string): number | undefined {
    const r = parseCidr(cidr);
    if (!r || r.prefix !== this.prefix || !overlaps(r, this.pool)) return undefined;
    return (r.base - this.pool.base) / this.step;
  }
}
