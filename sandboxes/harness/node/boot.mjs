// Passed as `node --input-type=module -e <this file>`: reads one JSON line from stdin (files as
// base64, the entry module, its config), writes the files into a new private folder (0700) under
// the current folder or the temp folder, and runs the entry's main(). Nothing is read from /workspace.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
  if (input.includes('\n')) break;
}
const bundle = JSON.parse(input.slice(0, input.indexOf('\n')));
process.stdin.destroy();
const root = bundle.root === 'tmp' ? os.tmpdir() : process.cwd();
const dir = mkdtempSync(path.join(root, 'ws-'));
for (const [name, b64] of Object.entries(bundle.files)) {
  if (name.split('/').some((seg) => seg === '' || seg === '.' || seg === '..'))
    throw new Error(`bad path ${name}`);
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, Buffer.from(b64, 'base64'), { mode: 0o600 });
}
const { main } = await import(pathToFileURL(path.join(dir, bundle.main)).href);
await main({ dir, ...bundle.config });
