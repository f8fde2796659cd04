/**
 * Reading author-written YAML (task.yaml, llm/mock.yaml, key files) with errors an author can act on:
 * one `file: field: message` or `file: line N: message` line per problem, every problem at once.
 */
import YAML from 'yaml';
import type { ZodError, z } from 'zod';

/** Parses YAML text (duplicate keys refused, aliases bounded); syntax errors become `file: line N: message`. */
export function parseYamlText(
  file: string,
  text: string,
): { ok: true; data: unknown } | { ok: false; errors: string[] } {
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return e.linePos ? `${file}: line ${e.linePos[0].line}: ${message}` : `${file}: ${message}`;
      }),
    };
  }
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    return { ok: false, errors: [`${file}: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

/** Renders a zod path as `rubric.criteria[2].weight`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Turns a zod error into one `file: field: message` line per problem, e.g.
 * `tasks/x/task.yaml: rubric.criteria[2].weight: expected a positive number`.
 * Unknown keys get one line each, named by their own path.
 */
export function formatZodIssues(file: string, error: ZodError): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${file}: ${formatIssuePath([...issue.path, key])}: unknown key`);
      }
      continue;
    }
    const where = formatIssuePath(issue.path);
    lines.push(where === '' ? `${file}: ${issue.message}` : `${file}: ${where}: ${issue.message}`);
  }
  return [...new Set(lines)];
}

/** Fallback messages for issues without a custom one (mostly root-level type errors). */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    return issue.expected === 'object'
      ? 'expected a mapping of keys to values'
      : `expected ${issue.expected}`;
  }
  return undefined;
}
