/** `--version` and per-verb `--help`: answered before any configuration is read or server started. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const packageJson = path.resolve(import.meta.dirname, '../../package.json');

/** The version from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** The usage lines of one verb (a line `  worksample <verb>…` and its continuation lines). */
export function verbUsage(usage: string, verb: string): string | undefined {
  const lines = usage.split('\n');
  const out: string[] = [];
  let inVerb = false;
  for (const line of lines) {
    if (/^ {2}worksample /.test(line)) inVerb = line.startsWith(`  worksample ${verb}`);
    else if (!/^ {10,}\S/.test(line)) inVerb = false;
    if (inVerb) out.push(line);
  }
  return out.length ? `Usage:\n${out.join('\n')}\n` : undefined;
}

/** What to print for a help or version request, or undefined when argv is an ordinary command. */
export function helpOrVersion(argv: string[], usage: string): { text: string; code: number } | undefined {
  const [verb] = argv;
  if (verb === '--version' || verb === '-V' || verb === 'version')
    return { text: `worksample ${version()}`, code: 0 };
  if (verb && argv.some((a) => a === '--help' || a === '-h')) {
    const text = verbUsage(usage, verb);
    return text ? { text, code: 0 } : { text: usage, code: 2 };
  }
  return undefined;
}
