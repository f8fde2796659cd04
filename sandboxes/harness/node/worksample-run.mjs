/**
 * The harness's main: runs the task's grade command on the hidden tests in this private folder and
 * then prints the report between nonce-marked lines on its own stdout, the only channel the server
 * reads a verdict from (the candidate's uid can neither write it nor read this folder).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const MAX_REPORT = 8 * 1024 * 1024;

/**
 * `node … --test …` with the harness's TAP reporter instead of whatever reporters argv names (see
 * worksample-tap.mjs for why); any other command is left as it is.
 */
export function withOwnReporter(argv, reporter) {
  if (path.basename(argv[0] ?? '') !== 'node' || !argv.includes('--test')) return argv;
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--test-reporter' || a === '--test-reporter-destination') i++;
    else if (!a.startsWith('--test-reporter=') && !a.startsWith('--test-reporter-destination=')) out.push(a);
  }
  out.splice(out.indexOf('--test') + 1, 0, `--test-reporter=${reporter}`);
  return out;
}

export async function main({ dir, argv, report, nonce, socket, modules }) {
  const tmp = path.join(dir, '.tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const env = {
    ...process.env,
    HOME: dir,
    TMPDIR: tmp,
    WORKSAMPLE_SUBJECT_SOCKET: socket,
    WORKSAMPLE_SUBJECT_MODULES: JSON.stringify(modules),
  };
  const command =
    report.format === 'tap' ? withOwnReporter(argv, path.join(dir, 'worksample-tap.mjs')) : argv;
  const chunks = [];
  let size = 0;
  const { code, error } = await new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (c) => {
      if (report.format !== 'tap') process.stdout.write(c);
      if (size < MAX_REPORT) chunks.push(c);
      size += c.length;
    });
    child.on('error', (err) => resolve({ code: null, error: err.message }));
    child.on('close', (c, signal) => resolve({ code: c ?? (signal ? 128 : null) }));
  });
  let body;
  if (report.format === 'tap') body = Buffer.concat(chunks);
  else {
    try {
      body = readFileSync(path.join(dir, report.path));
    } catch {
      body = undefined;
    }
  }
  const head = [`exit=${code ?? 'none'}`, body ? `bytes=${body.length}` : 'missing=1'];
  if (error) head.push(`error=${encodeURIComponent(error)}`);
  const frame = `\n@@worksample-report ${nonce} ${head.join(' ')}\n${body ? body.toString('base64') : ''}\n@@worksample-report-end ${nonce}\n`;
  await new Promise((resolve) => process.stdout.write(frame, resolve));
}
