/**
 * worksample's seccomp profile (server/sandbox/docker/seccomp.json) on the real engine: the calls it
 * denies fail from inside a sandbox with EPERM or ENOSYS — each probed with arguments the kernel would
 * otherwise accept, through python3's ctypes — and what candidates use (node, python, pytest, tsx,
 * `node --test`, threads, sockets, subprocesses) still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerDriver, DockerSession } from '../../server/sandbox/docker/driver.ts';
import { seccompProfile } from '../../server/sandbox/docker/hardening.ts';
import { dockerReady, limits, makeDriver, run, sh, spec } from './fixtures.ts';
import { imageExists } from '../helpers/docker.ts';
import { imageFor } from '../../server/sandbox/images/index.ts';

const useDocker = await dockerReady();
const usePython = useDocker && (await imageExists(await imageFor('python')));

/** x86-64 syscall numbers, and arguments the kernel would accept without the filter. */
const probe = String.raw`
import ctypes, errno, json
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(256)
iov = ctypes.create_string_buffer(16)
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[a if isinstance(a, ctypes.Array) else ctypes.c_long(a) for a in args])
    return 'ok' if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
out = {
  'io_uring_setup': call(425, 4, buf),
  'io_uring_enter': call(426, 0, 0, 0, 0, 0, 0),
  'io_uring_register': call(427, 0, 0, 0, 0),
  'userfaultfd': call(323, 0),
  'perf_event_open': call(298, buf, 0, -1, -1, 0),
  'keyctl': call(250, 0, -3, 0),
  'add_key': call(248, 0, 0, 0, 0, 0),
  'request_key': call(249, 0, 0, 0, 0),
  'bpf': call(321, 0, buf, 72),
  'unshare_newuser': call(272, 0x10000000),
  'unshare_newns': call(272, 0x00020000),
  'clone_newuser': call(56, 0x10000000 | 17, 0, 0, 0, 0),
  'setns': call(308, 0, 0),
  'ptrace_traceme': call(101, 0, 0, 0, 0),
  'process_vm_readv': call(310, 1, iov, 1, iov, 1, 0),
  'kcmp': call(312, 1, 1, 0, 0, 0),
  'personality_no_aslr': call(135, 0x0040000),
  'socket_af_alg': call(41, 38, 5, 0),
  'socket_af_vsock': call(41, 40, 1, 0),
  'mount': call(165, 0, 0, 0, 0, 0),
  'kexec_load': call(246, 0, 0, 0, 0),
  'open_by_handle_at': call(304, -100, buf, 0),
  'name_to_handle_at': call(303, -100, buf, buf, buf, 0),
  'modify_ldt': call(154, 0, buf, 16),
  'move_pages': call(279, 0, 0, 0, 0, 0, 0),
  # allowed: the same mechanism answers for calls that must keep working
  'getpid': call(39),
  'socket_af_inet': call(41, 2, 1, 0),
  'socket_af_unix': call(41, 1, 1, 0),
  'personality_query': call(135, 0xffffffff),
}
print(json.dumps(out))
`;

describe.runIf(useDocker)('seccomp profile', () => {
  let driver: DockerDriver;
  let node: DockerSession;
  let python: DockerSession | undefined;

  beforeAll(async () => {
    driver = await makeDriver();
    // Real tools start slowly on a loaded machine: a wall clock that only a hang would hit.
    const slow = { limits: { ...limits, wallMs: 60_000, memoryBytes: 512 * 1024 * 1024 } };
    node = await driver.createSession(spec(slow));
    if (usePython) python = await driver.createSession(spec({ ...slow, env: 'python' }));
  });
  afterAll(async () => {
    if (node) await driver.destroy(node);
    if (python) await driver.destroy(python);
  });

  it("is worksample's own profile, applied to every sandbox", async () => {
    const info = await node.container.inspect();
    const opt = (info.HostConfig.SecurityOpt ?? []).find((o: string) => o.startsWith('seccomp='));
    expect(opt).toBe(`seccomp=${seccompProfile()}`);
    const profile = JSON.parse(seccompProfile()) as { syscalls: Array<{ names: string[]; action: string }> };
    const allowed = profile.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW').flatMap((s) => s.names);
    for (const denied of [
      'io_uring_setup',
      'io_uring_enter',
      'userfaultfd',
      'keyctl',
      'bpf',
      'ptrace',
      'unshare',
    ])
      expect(allowed).not.toContain(denied);
  });

  it('denies io_uring, userfaultfd, keyrings, bpf, perf, namespaces, ptrace and friends with EPERM/ENOSYS', async () => {
    const s = python ?? node;
    const r = await run(driver, s, ['python3', '-c', probe]);
    expect(r.verdict, r.stderr.text).toBe('ok');
    const got = JSON.parse(r.stdout.text) as Record<string, string>;
    const allowed = ['getpid', 'socket_af_inet', 'socket_af_unix', 'personality_query'];
    for (const name of allowed) expect(got[name], name).toBe('ok');
    for (const [name, result] of Object.entries(got)) {
      if (allowed.includes(name)) continue;
      expect(['EPERM', 'ENOSYS'], `${name} gave ${result}`).toContain(result);
    }
    expect(got.io_uring_setup).toBe('ENOSYS');
  });

  it('keeps node working: threads, child processes, sockets, fs, crypto, zlib', async () => {
    const script = `
      const { Worker } = require('worker_threads');
      const cp = require('child_process');
      const net = require('net');
      const fs = require('fs');
      const crypto = require('crypto');
      const zlib = require('zlib');
      (async () => {
        const w = await new Promise((res, rej) => {
          const wk = new Worker('require("worker_threads").parentPort.postMessage(6*7)', { eval: true });
          wk.on('message', res); wk.on('error', rej);
        });
        const child = cp.execFileSync('sh', ['-c', 'echo child']).toString().trim();
        const server = net.createServer((s) => s.end('pong')).listen(0, '127.0.0.1');
        await new Promise((r) => server.on('listening', r));
        const pong = await new Promise((res) => {
          const c = net.connect(server.address().port, '127.0.0.1');
          let d = ''; c.on('data', (x) => (d += x)); c.on('end', () => res(d));
        });
        server.close();
        await fs.promises.writeFile('/tmp/f', 'data');
        const read = await fs.promises.readFile('/tmp/f', 'utf8');
        const hash = crypto.createHash('sha256').update(read).digest('hex').slice(0, 8);
        const gz = zlib.gunzipSync(zlib.gzipSync('zz')).toString();
        console.log(JSON.stringify({ w, child, pong, read, hash, gz }));
      })();`;
    const r = await run(driver, node, ['node', '-e', script]);
    expect(r.verdict, r.stderr.text).toBe('ok');
    expect(JSON.parse(r.stdout.text)).toEqual({
      w: 42,
      child: 'child',
      pong: 'pong',
      read: 'data',
      hash: '3a6eb079',
      gz: 'zz',
    });
  });

  it('keeps node --test and tsx working', async () => {
    await driver.putFiles(node, [
      {
        path: 'a.test.mjs',
        content: Buffer.from("import test from 'node:test';\ntest('adds', () => {});\n"),
      },
      { path: 'b.ts', content: Buffer.from('const n: number = 41;\nconsole.log(String(n + 1));\n') },
    ]);
    const t = await run(driver, node, ['node', '--test', 'a.test.mjs']);
    expect(t.verdict, t.stdout.text + t.stderr.text).toBe('ok');
    expect(t.stdout.text).toMatch(/pass 1/);
    const tsx = await sh(driver, node, 'tsx b.ts');
    expect(tsx.verdict, tsx.stderr.text).toBe('ok');
    expect(tsx.stdout.text).toBe('42\n');
  });

  it.runIf(usePython)(
    'keeps python and pytest working: threads, multiprocessing, subprocess, sockets',
    async () => {
      await driver.putFiles(python!, [
        {
          path: 'test_x.py',
          content: Buffer.from(
            [
              'import multiprocessing, socket, subprocess, threading',
              'def sq(x):',
              '    return x * x',
              'def test_everything():',
              '    out = []',
              '    t = threading.Thread(target=lambda: out.append(1)); t.start(); t.join()',
              '    with multiprocessing.Pool(2) as p:',
              '        assert p.map(sq, [1, 2, 3]) == [1, 4, 9]',
              "    assert subprocess.run(['echo', 'hi'], capture_output=True).stdout == b'hi\\n'",
              '    a, b = socket.socketpair(); a.sendall(b"x"); assert b.recv(1) == b"x"',
              '    assert out == [1]',
            ].join('\n'),
          ),
        },
      ]);
      const r = await run(driver, python!, ['python3', '-m', 'pytest', '-q', 'test_x.py']);
      expect(r.verdict, r.stdout.text + r.stderr.text).toBe('ok');
      expect(r.stdout.text).toMatch(/1 passed/);
    },
  );
});
