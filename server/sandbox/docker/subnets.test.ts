import { describe, expect, it } from 'vitest';
import { SubnetAllocator } from './subnets.ts';

describe('SubnetAllocator', () => {
  it('hands out distinct /28s of the pool, the first host address as gateway', () => {
    const a = new SubnetAllocator('10.213.0.0/16');
    expect(a.capacity).toBe(4096);
    expect(a.take()).toEqual({ cidr: '10.213.0.0/28', gateway: '10.213.0.1' });
    expect(a.take()).toEqual({ cidr: '10.213.0.16/28', gateway: '10.213.0.17' });
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(a.take()!.cidr);
    expect(seen.size).toBe(300);
    expect(a.inUse).toBe(302);
  });

  it('runs out only when every subnet is held, and a released one is taken again', () => {
    const a = new SubnetAllocator('192.168.7.0/26'); // four /28s
    const got = [a.take(), a.take(), a.take(), a.take()].map((s) => s!.cidr);
    expect(got).toEqual(['192.168.7.0/28', '192.168.7.16/28', '192.168.7.32/28', '192.168.7.48/28']);
    expect(a.take()).toBeUndefined();
    a.release('192.168.7.16/28');
    expect(a.holds('192.168.7.16/28')).toBe(false);
    expect(a.take()?.cidr).toBe('192.168.7.16/28');
  });

  it('reuses a released subnet last, not next', () => {
    const a = new SubnetAllocator('10.9.0.0/24');
    const first = a.take()!.cidr;
    a.release(first);
    expect(a.take()!.cidr).not.toBe(first);
  });

  it('skips subnets overlapping other networks on the engine, whatever their size', () => {
    const a = new SubnetAllocator('10.213.0.0/24'); // sixteen /28s
    a.setForeign(['10.213.0.0/28', '10.213.0.32/27', '172.17.0.0/16', 'fd00::/64', 'garbage']);
    const got: string[] = [];
    for (let s = a.take(); s; s = a.take()) got.push(s.cidr);
    expect(got).toHaveLength(16 - 3);
    expect(got).not.toContain('10.213.0.0/28');
    expect(got).not.toContain('10.213.0.32/28');
    expect(got).not.toContain('10.213.0.48/28');
    expect(got).toContain('10.213.0.16/28');
  });

  it('a foreign range covering the whole pool leaves nothing; a new listing replaces the old', () => {
    const a = new SubnetAllocator('10.213.0.0/24');
    a.setForeign(['10.0.0.0/8']);
    expect(a.take()).toBeUndefined();
    a.setForeign([]);
    expect(a.take()?.cidr).toBe('10.213.0.0/28');
  });

  it('addForeign marks one more subnet taken without forgetting the others', () => {
    const a = new SubnetAllocator('10.213.0.0/26');
    a.setForeign(['10.213.0.0/28']);
    a.addForeign('10.213.0.16/28');
    expect(a.take()?.cidr).toBe('10.213.0.32/28');
  });

  it('ignores releases of subnets it does not hold or that are not its own', () => {
    const a = new SubnetAllocator('10.213.0.0/26');
    const s = a.take()!;
    a.release('10.213.0.16/28');
    a.release('10.214.0.0/28');
    a.release('10.213.0.0/27');
    expect(a.holds(s.cidr)).toBe(true);
    expect(a.inUse).toBe(1);
  });

  it('refuses a pool smaller than one subnet or malformed', () => {
    expect(() => new SubnetAllocator('10.213.0.0/29')).toThrow(/not a usable subnet pool/);
    expect(() => new SubnetAllocator('10.213.0.1/16')).toThrow(/not a usable subnet pool/);
  });
});
