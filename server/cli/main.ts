/** Process entry of the `worksample` command: runs a verb, turns failures into one line and an exit code. */
import { runCli, errorLine } from './index.ts';

try {
  const code = await runCli(process.argv.slice(2), { env: process.env, out: process.stdout });
  if (code) process.exitCode = code;
} catch (err) {
  const { message, exitCode } = errorLine(err);
  process.stderr.write(`worksample: ${message}\n`);
  process.exitCode = exitCode;
}
