/**
 * What a hidden test imports to reach the candidate's code. The test runs in the trusted harness (its
 * own uid and folder); the candidate's module runs in the subject process, and calls cross the bridge:
 *
 *   import { subject } from './worksample-harness.mjs';
 *   const { parseModelJson } = subject('parse-model-json.mjs');
 *   test('parses', async () => assert.deepEqual(await parseModelJson('{"a": 1}'), { ok: true, value: { a: 1 } }));
 *
 * Every export is an async function (await its result). Arguments and results are copied; functions
 * (and objects with methods, such as a fake API client) become callbacks the candidate's code can call.
 * A crashed or hung subject makes the call reject with a SubjectError; the next call starts a fresh
 * subject worker. See docs/HIDDEN-TESTS.md.
 */
import net from 'node:net';
import { Peer, SubjectError } from './worksample-bridge.mjs';

export { SubjectError };

/** The subject may still be starting at the first connect; later, a missing listener means it died. */
const FIRST_CONNECT_MS = 20_000;
const RECONNECT_MS = 2_000;
let connected = false;
let unreachable = false;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Starting a worker (node, tsx) and importing the module get at least this long, whatever timeoutMs says. */
const MIN_LOAD_MS = 20_000;

const links = new Map();

function config() {
  const socket = process.env.WORKSAMPLE_SUBJECT_SOCKET;
  if (!socket)
    throw new SubjectError(
      'WORKSAMPLE_SUBJECT_SOCKET is not set: hidden tests run inside the grading harness (docs/HIDDEN-TESTS.md)',
    );
  const modules = JSON.parse(process.env.WORKSAMPLE_SUBJECT_MODULES ?? '[]');
  return { socket, modules };
}

function linkFor(modulePath, timeoutMs) {
  const { socket, modules } = config();
  if (!modules.includes(modulePath))
    throw new SubjectError(
      `subject(${JSON.stringify(modulePath)}): not listed in environment.subject.modules of task.yaml (${modules.join(', ') || 'none listed'})`,
    );
  const key = `${modulePath}\u0000${timeoutMs}`;
  let link = links.get(key);
  if (!link) {
    link = new ModuleLink(socket, modulePath, timeoutMs);
    links.set(key, link);
  }
  return link;
}

/**
 * The candidate module `modulePath` (as listed in environment.subject.modules). Loads lazily: the
 * first call of an export opens it, so a module that fails to load fails each test that uses it.
 */
export function subject(modulePath, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  const link = linkFor(modulePath, timeoutMs);
  return new Proxy(Object.create(null), {
    get(_, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return link.exportFunction(prop);
    },
  });
}

/** Loads the module now and returns its exports: functions as async functions, other values copied. */
export async function loadSubject(modulePath, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  const link = linkFor(modulePath, timeoutMs);
  const { peer, exports } = await link.open();
  const out = {};
  for (const [name, value] of Object.entries(exports)) {
    const v =
      value && typeof value === 'object' && value.$ === 'fn' ? link.exportFunction(name) : peer.decode(value);
    Object.defineProperty(out, name, { value: v, enumerable: true });
  }
  return Object.freeze(out);
}

class ModuleLink {
  constructor(socket, modulePath, timeoutMs) {
    this.socket = socket;
    this.modulePath = modulePath;
    this.timeoutMs = timeoutMs;
    this.current = undefined;
    this.fns = new Map();
  }

  /** An async function calling export `name`; it survives subject restarts. */
  exportFunction(name) {
    let fn = this.fns.get(name);
    if (!fn) {
      const link = this;
      fn = async function (...args) {
        const { peer, exports } = await link.open();
        if (!Object.hasOwn(exports, name))
          throw new SubjectError(`${link.modulePath} has no export named ${JSON.stringify(name)}`);
        return peer.request({ name }, args);
      };
      Object.defineProperty(fn, 'name', { value: name });
      this.fns.set(name, fn);
    }
    return fn;
  }

  open() {
    if (!this.current) {
      const attempt = this.connect();
      this.current = attempt;
      attempt.catch(() => {
        if (this.current === attempt) this.current = undefined;
      });
    }
    return this.current;
  }

  async connect() {
    let socket;
    try {
      socket = await connectWithRetry(
        this.socket,
        unreachable ? 0 : connected ? RECONNECT_MS : FIRST_CONNECT_MS,
      );
    } catch (err) {
      unreachable = true;
      throw err;
    }
    connected = true;
    // Idle connections must not keep the test process alive; pending calls hold a timer that does.
    socket.unref();
    const attempt = this.current;
    return new Promise((resolve, reject) => {
      let pid;
      let loaded = false;
      const loadMs = Math.max(this.timeoutMs, MIN_LOAD_MS);
      const timer = setTimeout(
        () =>
          peer.close(
            new SubjectError(`loading ${this.modulePath} took longer than ${loadMs / 1000} s`),
            'timeout',
          ),
        loadMs,
      );
      const peer = new Peer(socket, {
        trusted: true,
        timeoutMs: this.timeoutMs,
        describeTarget: (t) => (t.name ? `${this.modulePath}: ${t.name}()` : `${t.label || 'a callback'}()`),
        onMessage: (msg) => {
          if (msg.op !== 'opened' || loaded) return;
          clearTimeout(timer);
          loaded = true;
          pid = Number(msg.pid);
          if (msg.error) {
            const err = peer.decodeError(msg.error);
            peer.close(
              new SubjectError(`${this.modulePath} could not be loaded: ${err.name}: ${err.message}`),
            );
            return;
          }
          resolve({ peer, exports: msg.exports?.v ?? {} });
        },
        onClose: (err, why) => {
          clearTimeout(timer);
          if (this.current === attempt) this.current = undefined;
          if (why === 'timeout' && pid) killWorker(this.socket, pid);
          reject(
            loaded || why === 'timeout'
              ? err
              : new SubjectError(`${err.message} while loading ${this.modulePath}`),
          );
        },
      });
      peer.send({ op: 'open', module: this.modulePath });
    });
  }
}

/** Asks the subject's listener (through a fresh worker) to end a worker that stopped answering. */
function killWorker(socketPath, pid) {
  connectWithRetry(socketPath, 2000).then(
    (s) => {
      s.unref();
      s.end(`${JSON.stringify({ op: 'kill', pid })}\n`);
      s.on('error', () => {});
    },
    () => {},
  );
}

function connectOnce(socketPath) {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

async function connectWithRetry(socketPath, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await connectOnce(socketPath);
    } catch (err) {
      if (Date.now() > deadline)
        throw new SubjectError(`cannot reach the subject process: ${err.code ?? err.message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
