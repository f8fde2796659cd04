/**
 * The `llm/mock.yaml` script format (see README.md next to this file) and its parser.
 * Patterns are compiled while parsing, so a script that parses can always be run.
 */
import { z } from 'zod';
import { fallbackMessage, formatZodIssues, parseYamlText } from '../../authoring/index.ts';
import { compileModelPattern, compilePattern } from './regex.ts';

const typeError = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `expected ${what}`;

const pattern = (compile: (s: string) => RegExp) =>
  z.string({ error: typeError('a regular expression string') }).transform((source, ctx) => {
    try {
      return compile(source);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(e as Error).message}` });
      return z.NEVER;
    }
  });

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: typeError('a whole number') })
    .int({ error: 'expected a whole number' })
    .min(min, { error: `expected at least ${min}` })
    .max(max, { error: `expected at most ${max}` });

const flag = z.boolean({ error: typeError('true or false') });

const matchSchema = z.strictObject({
  model: pattern(compileModelPattern).optional(),
  content: pattern(compilePattern).optional(),
  anyContent: pattern(compilePattern).optional(),
  system: pattern(compilePattern).optional(),
  tools: flag.optional(),
  toolResult: flag.optional(),
  responseFormat: z
    .enum(['text', 'json_object', 'json_schema'], { error: 'expected text, json_object or json_schema' })
    .optional(),
  call: z
    .union([wholeNumber(1, 1_000_000), z.array(wholeNumber(1, 1_000_000)).min(1)], {
      error: 'expected a call number (1 = first) or a list of them',
    })
    .transform((c) => (Array.isArray(c) ? c : [c]))
    .optional(),
  rate: z
    .number({ error: typeError('a probability between 0 and 1') })
    .min(0, { error: 'expected a probability between 0 and 1' })
    .max(1, { error: 'expected a probability between 0 and 1' })
    .optional(),
  seed: wholeNumber(-(2 ** 31), 2 ** 31 - 1).optional(),
});

const toolCallSchema = z.strictObject({
  name: z.string({ error: typeError('a function name') }).regex(/^[A-Za-z0-9_-]{1,64}$/, {
    error: 'expected a function name of letters, digits, "_" or "-"',
  }),
  // An object is sent as JSON; a string is sent verbatim, so authors can script broken arguments.
  arguments: z.unknown().optional(),
});

const usageSchema = z.strictObject({
  prompt: wholeNumber(0, 10_000_000).optional(),
  completion: wholeNumber(0, 10_000_000).optional(),
});

/** What a delayed or truncated reply eventually carries; absent = the default reply. */
const thenSchema = z
  .strictObject({
    reply: z.string({ error: typeError('a string') }).optional(),
    json: z.unknown().optional(),
    toolCall: z.union([toolCallSchema, z.array(toolCallSchema).min(1)]).optional(),
  })
  .superRefine((v, ctx) => exactlyOne(v, ['reply', 'json', 'toolCall'], ctx));

const faultSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('rate_limit'), retryAfter: wholeNumber(0, 3600).default(1) }),
    z.strictObject({ kind: z.literal('server_error') }),
    z.strictObject({ kind: z.literal('delay'), ms: wholeNumber(0, 600_000), then: thenSchema.optional() }),
    z.strictObject({
      kind: z.literal('truncated_stream'),
      after: wholeNumber(0, 1_000_000),
      then: thenSchema.optional(),
    }),
    // `json` is the object to break; absent = what the request would otherwise get in JSON mode.
    z.strictObject({ kind: z.literal('malformed_json'), json: z.unknown().optional() }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'expected one of rate_limit, server_error, delay, truncated_stream, malformed_json'
        : undefined,
  },
);

const OUTCOMES = ['reply', 'json', 'toolCall', 'fault'] as const;

function exactlyOne(v: Record<string, unknown>, keys: readonly string[], ctx: z.RefinementCtx) {
  const given = keys.filter((k) => v[k] !== undefined);
  if (given.length === 1) return;
  const list = `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}`;
  ctx.addIssue({
    code: 'custom',
    message: `expected exactly one outcome (${list}); found ${given.length === 0 ? 'none' : given.join(' and ')}`,
  });
}

const ruleSchema = z
  .strictObject({
    name: z
      .string({ error: typeError('a string') })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a name of letters, digits, "_" or "-"' })
      .optional(),
    match: matchSchema.optional(),
    reply: z.string({ error: typeError('a string') }).optional(),
    json: z.unknown().optional(),
    toolCall: z.union([toolCallSchema, z.array(toolCallSchema).min(1)]).optional(),
    fault: faultSchema.optional(),
    usage: usageSchema.optional(),
  })
  .superRefine((v, ctx) => exactlyOne(v, OUTCOMES, ctx));

/** The validated script: every rule has its effective name and compiled patterns. */
export const mockScriptSchema = z
  .strictObject({
    default: z.strictObject({ reply: z.string({ error: typeError('a string') }) }).optional(),
    rules: z.array(ruleSchema, { error: typeError('a list of rules') }).default([]),
  })
  .superRefine((script, ctx) => {
    const seen = new Set<string>();
    script.rules.forEach((rule, i) => {
      const name = rule.name ?? `rule-${i}`;
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${name}"`,
        });
      }
      seen.add(name);
    });
  })
  .transform((script) => ({
    ...script,
    rules: script.rules.map((rule, i) => ({
      ...rule,
      name: rule.name ?? `rule-${i}`,
      match: rule.match ?? {},
    })),
  }));

export type MockScript = z.output<typeof mockScriptSchema>;
export type MockRule = MockScript['rules'][number];
export type MockThen = NonNullable<Extract<NonNullable<MockRule['fault']>, { kind: 'delay' }>['then']>;
export type MockToolCallSpec = z.output<typeof toolCallSchema>;

/**
 * Parses and validates `llm/mock.yaml` text. `file` is the path shown in errors, which read
 * `llm/mock.yaml: rules[2].match.content: invalid regular expression: Unterminated group`.
 * An empty file is a valid script with no rules.
 */
export function parseMockScript(
  file: string,
  text: string,
): { ok: true; script: MockScript } | { ok: false; errors: string[] } {
  const parsed = parseYamlText(file, text);
  if (!parsed.ok) return parsed;
  const data = parsed.data ?? {};
  const result = mockScriptSchema.safeParse(data, { error: fallbackMessage });
  if (result.success) return { ok: true, script: result.data };
  return { ok: false, errors: formatZodIssues(file, result.error) };
}
