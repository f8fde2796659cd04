import { describe, expect, it } from 'vitest';
import { minimalInstance } from './index.ts';

type Schema = Record<string, unknown>;

/**
 * A tiny checker for the subset the generator supports: types, required keys, enum/const,
 * minimum, minItems, minLength, $ref and anyOf. Returns the first problem or null.
 */
function check(value: unknown, schema: Schema, root: Schema = schema, at = '$'): string | null {
  if (typeof schema.$ref === 'string') {
    const [, group, name] = /^#\/(\$defs|definitions)\/(.+)$/.exec(schema.$ref)!;
    return check(value, (root[group!] as Record<string, Schema>)[name!]!, root, at);
  }
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as Schema[]).some((s) => check(value, s, root, at) === null)
      ? null
      : `${at}: no anyOf branch`;
  }
  if ('const' in schema && value !== schema.const) return `${at}: not the const`;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${at}: not in enum`;
  const types = schema.type === undefined ? [] : ([] as unknown[]).concat(schema.type);
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const ok = (t: unknown) => t === actual || (t === 'integer' && Number.isInteger(value));
  if (types.length > 0 && !types.some(ok)) return `${at}: expected ${types.join('|')}, got ${actual}`;
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum)
    return `${at}: below minimum`;
  if (typeof value === 'string' && typeof schema.minLength === 'number' && value.length < schema.minLength)
    return `${at}: too short`;
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `${at}: too few items`;
    for (const [i, item] of value.entries()) {
      const problem = check(item, (schema.items ?? {}) as Schema, root, `${at}[${i}]`);
      if (problem) return problem;
    }
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) return `${at}: missing ${key}`;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [key, v] of Object.entries(obj)) {
      const problem = check(v, props[key] ?? {}, root, `${at}.${key}`);
      if (problem) return problem;
    }
  }
  return null;
}

describe('minimalInstance', () => {
  const triage: Schema = {
    type: 'object',
    required: ['label', 'tags', 'owner', 'score', 'note', 'meta'],
    properties: {
      label: { type: 'string', enum: ['bug', 'feature', 'question'] },
      tags: { type: 'array', minItems: 2, items: { $ref: '#/$defs/tag' } },
      owner: { anyOf: [{ $ref: '#/definitions/person' }, { type: 'null' }] },
      score: { type: 'integer', minimum: 1, maximum: 5 },
      note: { type: ['string', 'null'], minLength: 3 },
      meta: {
        type: 'object',
        required: ['ok'],
        properties: { ok: { type: 'boolean' }, extra: { type: 'string' } },
      },
      optional: { type: 'string' },
    },
    $defs: { tag: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    definitions: {
      person: {
        type: 'object',
        required: ['id', 'kind'],
        properties: { id: { type: 'number' }, kind: { const: 'human' } },
      },
    },
  };

  it('builds an instance that validates: nested objects, minItems, enum, $ref and anyOf', () => {
    const value = minimalInstance(triage);
    expect(check(value, triage)).toBeNull();
    expect(value).toEqual({
      label: 'bug',
      tags: [{ name: '' }, { name: '' }],
      owner: { id: 0, kind: 'human' },
      score: 1,
      note: 'aaa',
      meta: { ok: false },
    });
  });

  it('includes every property when strict', () => {
    const value = minimalInstance(triage, true) as Record<string, unknown>;
    expect(check(value, triage)).toBeNull();
    expect(value.optional).toBe('');
    expect(value.meta).toEqual({ ok: false, extra: '' });
  });

  it('the checker itself rejects wrong values', () => {
    expect(check({ label: 'bug' }, triage)).toBe('$: missing tags');
    expect(check({ a: 'x' }, { type: 'object', properties: { a: { type: 'integer' } } })).toMatch(
      /^\$\.a: expected integer/,
    );
  });

  it('respects numeric bounds and string formats', () => {
    expect(minimalInstance({ type: 'integer', exclusiveMinimum: 3 })).toBe(4);
    expect(minimalInstance({ type: 'number', maximum: -2 })).toBe(-2);
    expect(minimalInstance({ type: 'string', format: 'date-time' })).toBe('1970-01-01T00:00:00Z');
  });

  it('merges allOf and stops recursive schemas at the depth limit', () => {
    expect(
      minimalInstance({
        allOf: [
          { type: 'object', required: ['a'], properties: { a: { type: 'string' } } },
          { required: ['b'], properties: { b: { type: 'boolean' } } },
        ],
      }),
    ).toEqual({ a: '', b: false });
    const tree = { type: 'object', required: ['child'], properties: { child: { $ref: '#' } } };
    let node = minimalInstance(tree) as { child?: unknown };
    let depth = 0;
    while (node.child) {
      node = node.child as { child?: unknown };
      depth++;
    }
    expect(depth).toBeGreaterThan(2);
    expect(depth).toBeLessThan(20);
  });
});
