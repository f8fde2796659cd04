/** Reads the table `worksample tasks verify` prints back into rows, per task folder. */
export interface VerifyRow {
  group: string;
  check: string;
  ok: boolean;
  detail: string;
}

const GROUPS: Record<string, string> = {
  static: 'static',
  'visible tests': 'visible',
  starter: 'starter',
  'hidden tests': 'hidden',
  tamper: 'tamper',
};

export function parseVerifyOutput(stdout: string): Map<string, VerifyRow[]> {
  const tasks = new Map<string, VerifyRow[]>();
  let rows: VerifyRow[] | undefined;
  let group = '';
  for (const line of stdout.split('\n')) {
    if (/^\S/.test(line) && !/task\(s\)/.test(line)) {
      rows = [];
      tasks.set(line.trim(), rows);
      continue;
    }
    const heading = /^ {2}(\S.*)$/.exec(line)?.[1];
    if (heading && GROUPS[heading]) {
      group = GROUPS[heading]!;
      continue;
    }
    const m = /^ {2}(ok {2}|FAIL) {2}(\S(?:.*?\S)?) {2,}(.*)$/.exec(line);
    if (m && rows) rows.push({ group, ok: m[1] !== 'FAIL', check: m[2]!, detail: m[3]! });
  }
  return tasks;
}
