/**
 * The smallest plausible value for a JSON schema, used as the default reply when a
 * request asks for `response_format: json_schema`. Rules, each documented in README.md:
 * const → its value; enum → first value; anyOf/oneOf → first branch; allOf → branches
 * merged; type lists → first type; objects → the `required` properties (all properties
 * when `strict`); strings → "" padded to minLength (or a sample for common formats);
 * numbers/integers → the lower bound or 0 clamped under the maximum; booleans → false;
 * arrays → minItems items (prefixItems first); `$ref` to `#`, `#/$defs/…` or
 * `#/definitions/…` is resolved. Below MAX_DEPTH, objects and arrays come out empty.
 */

type Schema = Record<string, unknown>;

export const MAX_DEPTH = 12;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '1970-01-01T00:00:00Z',
  date: '1970-01-01',
  time: '00:00:00Z',
  email: 'mock@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '00000000-0000-0000-0000-000000000000',
};

/** A minimal instance of `schema`; `strict` makes every listed property present. */
export function minimalInstance(schema: unknown, strict = false): unknown {
  return build(schema, { root: schema, strict }, 0);
}

interface Ctx {
  root: unknown;
  strict: boolean;
}

function resolveRef(ref: string, root: unknown): unknown {
  if (ref === '#') return root;
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m || !isSchema(root)) return {};
  const defs = root[m[1]!];
  return isSchema(defs)
    ? (defs[decodeURIComponent(m[2]!).replace(/~1/g, '/').replace(/~0/g, '~')] ?? {})
    : {};
}

function build(raw: unknown, ctx: Ctx, depth: number): unknown {
  if (raw === true || !isSchema(raw)) return null;
  let schema: Schema = raw;
  if (typeof schema.$ref === 'string') {
    if (depth >= MAX_DEPTH) return null;
    return build(resolveRef(schema.$ref, ctx.root), ctx, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) return build(branches[0], ctx, depth + 1);
  }
  if (Array.isArray(schema.allOf)) schema = mergeAll(schema, ctx);

  const type = typeOf(schema);
  switch (type) {
    case 'object':
      return buildObject(schema, ctx, depth);
    case 'array':
      return buildArray(schema, ctx, depth);
    case 'string':
      return buildString(schema);
    case 'number':
    case 'integer':
      return buildNumber(schema, type === 'integer');
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function typeOf(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (typeof t === 'string') return t;
  if (isSchema(schema.properties) || Array.isArray(schema.required)) return 'object';
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return 'array';
  return 'null';
}

/** allOf: shallow merge, with `properties` and `required` unioned. */
function mergeAll(schema: Schema, ctx: Ctx): Schema {
  const out: Schema = { ...schema, allOf: undefined };
  for (const part of schema.allOf as unknown[]) {
    const p = isSchema(part) && typeof part.$ref === 'string' ? resolveRef(part.$ref, ctx.root) : part;
    if (!isSchema(p)) continue;
    out.properties = {
      ...(isSchema(out.properties) ? out.properties : {}),
      ...(isSchema(p.properties) ? p.properties : {}),
    };
    out.required = [
      ...(Array.isArray(out.required) ? out.required : []),
      ...(Array.isArray(p.required) ? p.required : []),
    ];
    for (const [k, v] of Object.entries(p)) if (!(k in out) || out[k] === undefined) out[k] = v;
  }
  return out;
}

function buildObject(schema: Schema, ctx: Ctx, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth >= MAX_DEPTH) return out;
  const props = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((k) => typeof k === 'string') : [];
  const keys = ctx.strict ? [...new Set([...Object.keys(props), ...required])] : required;
  for (const key of keys) out[key] = build(props[key] ?? {}, ctx, depth + 1);
  return out;
}

function buildArray(schema: Schema, ctx: Ctx, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) return [];
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const min = typeof schema.minItems === 'number' ? Math.min(schema.minItems, 100) : 0;
  const out: unknown[] = [];
  for (let i = 0; i < min; i++) out.push(build(prefix[i] ?? schema.items ?? {}, ctx, depth + 1));
  return out;
}

function buildString(schema: Schema): string {
  const sample = typeof schema.format === 'string' ? (FORMAT_SAMPLES[schema.format] ?? '') : '';
  const min = typeof schema.minLength === 'number' ? Math.min(schema.minLength, 10_000) : 0;
  return sample.length >= min ? sample : sample + 'a'.repeat(min - sample.length);
}

function buildNumber(schema: Schema, integer: boolean): number {
  const num = (k: string) => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
  const exclusiveMin = num('exclusiveMinimum');
  let value = num('minimum') ?? (exclusiveMin !== undefined ? exclusiveMin + (integer ? 1 : 0.5) : 0);
  if (integer) value = Math.ceil(value);
  const max =
    num('maximum') ?? (num('exclusiveMaximum') !== undefined ? num('exclusiveMaximum')! - 1 : undefined);
  if (max !== undefined && value > max) value = integer ? Math.floor(max) : max;
  return value;
}
