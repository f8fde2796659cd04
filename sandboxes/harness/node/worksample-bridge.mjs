/**
 * The RPC bridge between the trusted harness (hidden tests) and the untrusted subject (candidate
 * code): JSON lines over a unix socket, values in a small tagged encoding, functions as callback
 * handles. Both sides load this file; nothing here decides a verdict.
 *
 * Stops, on the harness side: a hostile subject turning its replies into behaviour. Decoded values
 * are plain data (objects, arrays, Error, Map, Set, Date, Headers, Uint8Array) built with
 * defineProperty, so a "__proto__" key stays data and no getter, Proxy or custom equality reaches a
 * test; a line longer than MAX_LINE closes the connection; error messages and names arrive as one
 * line, so they cannot pose as test-report lines.
 *
 * Wire format (one JSON object per line):
 *   {op:"open", module}                     harness → subject, first line of a connection
 *   {op:"opened", pid, exports} | {op:"opened", pid, error}
 *   {op:"call", id, name | fn, args}        either way: call an export by name, or a handle
 *   {op:"return", id, value} | {op:"throw", id, error}
 *   {op:"abort", signal, reason}            an AbortSignal passed earlier fired
 *   {op:"kill", pid}                        harness → subject: end a worker that stopped answering
 *
 * Values: null, booleans, strings and finite numbers as themselves; arrays as arrays; everything
 * else tagged {"$": tag, ...}: u (undefined), num (NaN, ±Infinity, -0), big, o (object, `cls` names
 * a class instance), date, map, set, bytes, tuple (Python), err, exc (Python exception class),
 * fn (callback handle), signal (AbortSignal), headers.
 */
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE = 16 * 1024 * 1024;
const MAX_DEPTH = 64;
const ERROR_CLASSES = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** A failure of the bridge itself (the subject died, hung or answered nonsense), not of a test's subject. */
export class SubjectError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SubjectError';
  }
}

const oneLine = (s) =>
  String(s)
    .replace(/\r\n|\r|\n/g, '\\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, ' ');

const define = (obj, key, value) =>
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });

const isPlainObject = (v) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * One end of a bridge connection. `exports` answers calls by name (the subject's module); handles
 * registered while encoding answer calls by id. Requests to the other side time out after
 * `timeoutMs` (Infinity on the subject side).
 */
export class Peer {
  /**
   * @param {import('node:net').Socket} socket
   * @param {{ exports?: Record<string, unknown>, timeoutMs?: number, trusted?: boolean,
   *   onMessage?: (msg: any) => void, onClose?: (err: Error) => void, describeTarget?: (t: any) => string }} opts
   */
  constructor(socket, opts = {}) {
    this.socket = socket;
    this.exports = opts.exports;
    this.timeoutMs = opts.timeoutMs ?? Infinity;
    this.trusted = opts.trusted ?? false;
    this.onMessage = opts.onMessage;
    this.onClose = opts.onClose;
    this.describeTarget =
      opts.describeTarget ?? ((t) => (t.name ? `${t.name}()` : t.label ? `${t.label}()` : 'a callback'));
    this.closed = undefined;
    this.pending = new Map();
    this.nextCall = 1;
    this.localFns = new Map();
    this.fnIds = new WeakMap();
    this.nextFn = 1;
    this.signals = new Map();
    this.signalIds = new WeakMap();
    this.nextSignal = 1;
    this.decoder = new StringDecoder('utf8');
    this.buffer = '';
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.close(new SubjectError(`the bridge connection failed: ${err.message}`)));
    socket.on('close', () => this.close(new SubjectError('the subject process closed the connection')));
  }

  send(msg) {
    if (this.closed) return;
    this.socket.write(`${JSON.stringify(msg)}\n`);
  }

  receive(chunk) {
    this.buffer += this.decoder.write(chunk);
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.dispatch(line);
      if (this.closed) return;
    }
    if (this.buffer.length > MAX_LINE)
      this.close(new SubjectError('the subject sent a message over the size limit'));
  }

  dispatch(line) {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      this.close(new SubjectError('the subject sent something that is not bridge JSON'));
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (msg.op === 'call') void this.serve(msg);
    else if (msg.op === 'return' || msg.op === 'throw') this.settle(msg);
    else if (msg.op === 'abort') this.signals.get(msg.signal)?.abort(this.decodeSafe(msg.reason));
    else this.onMessage?.(msg);
  }

  settle(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    try {
      if (msg.op === 'return') p.resolve(this.decode(msg.value));
      else p.reject(this.decodeError(msg.error));
    } catch (err) {
      p.reject(err instanceof SubjectError ? err : new SubjectError(`unreadable reply: ${err.message}`));
    }
  }

  async serve(msg) {
    const id = msg.id;
    try {
      let fn;
      let self;
      if (typeof msg.fn === 'number') ({ fn, self } = this.localFns.get(msg.fn) ?? {});
      else if (typeof msg.name === 'string' && this.exports && Object.hasOwn(this.exports, msg.name))
        fn = this.exports[msg.name];
      if (typeof fn !== 'function') throw new TypeError(`${msg.name ?? 'the handle'} is not a function`);
      const args = Array.isArray(msg.args) ? msg.args.map((a) => this.decode(a)) : [];
      const value = await Reflect.apply(fn, self, args);
      this.send({ op: 'return', id, value: this.encode(value) });
    } catch (err) {
      let error;
      try {
        error = this.encode(err instanceof Error ? err : new Error(`a non-Error was thrown: ${String(err)}`));
      } catch {
        error = { $: 'err', name: 'Error', message: 'an unencodable error was thrown', props: {} };
      }
      this.send({ op: 'throw', id, error });
    }
  }

  /** Calls `target` ({name} or {fn}) on the other side. */
  request(target, args, timeoutMs = this.timeoutMs) {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextCall++;
    let encoded;
    try {
      encoded = args.map((a) => this.encode(a));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, target, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          const err = new SubjectError(
            `${this.describeTarget(target)} did not answer within ${+(timeoutMs / 1000).toFixed(1)} s`,
          );
          reject(err);
          this.close(err, 'timeout');
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.send({ op: 'call', id, ...target, args: encoded });
    });
  }

  /** Ends the connection: every pending call fails with `err`. */
  close(err, why = 'closed') {
    if (this.closed) return;
    this.closed = err;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(
        why === 'timeout'
          ? err
          : new SubjectError(`${err.message} while ${this.describeTarget(p.target)} was running`),
      );
    }
    this.pending.clear();
    this.socket.destroy();
    this.onClose?.(err, why);
  }

  // ---- encoding ---------------------------------------------------------------------------------

  encode(value, depth = 0, seen = new Set()) {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number') {
      if (Number.isNaN(value)) return { $: 'num', v: 'NaN' };
      if (value === Infinity) return { $: 'num', v: 'Infinity' };
      if (value === -Infinity) return { $: 'num', v: '-Infinity' };
      if (Object.is(value, -0)) return { $: 'num', v: '-0' };
      return value;
    }
    if (value === undefined) return { $: 'u' };
    if (typeof value === 'bigint') return { $: 'big', v: value.toString() };
    if (typeof value === 'function') return this.encodeFunction(value);
    if (typeof value === 'symbol') throw new TypeError('a Symbol cannot cross the bridge');
    if (depth > MAX_DEPTH) throw new TypeError('a value nested too deeply to cross the bridge');
    if (seen.has(value)) throw new TypeError('a value with a cycle cannot cross the bridge');
    seen.add(value);
    try {
      const inner = (v) => this.encode(v, depth + 1, seen);
      if (Array.isArray(value)) return Array.from(value, inner);
      if (value instanceof Error) {
        const props = {};
        for (const k of Object.keys(value))
          if (k !== 'message' && k !== 'name' && k !== 'stack') {
            try {
              define(props, k, inner(value[k]));
            } catch {
              /* an unencodable property is left out */
            }
          }
        return { $: 'err', name: String(value.name), message: String(value.message), props };
      }
      if (value instanceof Date)
        return { $: 'date', v: Number.isNaN(value.getTime()) ? null : value.toISOString() };
      if (value instanceof Map) return { $: 'map', v: [...value].map(([k, v]) => [inner(k), inner(v)]) };
      if (value instanceof Set) return { $: 'set', v: [...value].map(inner) };
      if (ArrayBuffer.isView(value) && !(value instanceof DataView))
        return {
          $: 'bytes',
          v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
        };
      if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return this.encodeSignal(value);
      if (typeof Headers !== 'undefined' && value instanceof Headers) return { $: 'headers', v: [...value] };
      if (typeof value.then === 'function')
        throw new TypeError('a Promise nested in a value cannot cross the bridge');
      const v = {};
      // Methods keep their object, so a test's fake client can use `this`.
      for (const k of Object.keys(value))
        define(v, k, typeof value[k] === 'function' ? this.encodeFunction(value[k], value) : inner(value[k]));
      if (isPlainObject(value)) return { $: 'o', v };
      return { $: 'o', cls: String(value.constructor?.name ?? 'Object'), v };
    } finally {
      seen.delete(value);
    }
  }

  encodeFunction(fn, self) {
    let id = self === undefined ? this.fnIds.get(fn) : undefined;
    if (id === undefined) {
      id = this.nextFn++;
      if (self === undefined) this.fnIds.set(fn, id);
      this.localFns.set(id, { fn, self });
    }
    return { $: 'fn', id, name: String(fn.name ?? '') };
  }

  encodeSignal(signal) {
    let id = this.signalIds.get(signal);
    if (id === undefined) {
      id = this.nextSignal++;
      this.signalIds.set(signal, id);
      signal.addEventListener(
        'abort',
        () => {
          let reason;
          try {
            reason = this.encode(signal.reason);
          } catch {
            reason = { $: 'u' };
          }
          this.send({ op: 'abort', signal: id, reason });
        },
        { once: true },
      );
    }
    return { $: 'signal', id, aborted: signal.aborted };
  }

  decodeSafe(value) {
    try {
      return this.decode(value);
    } catch {
      return undefined;
    }
  }

  decode(value, depth = 0) {
    if (
      value === null ||
      typeof value === 'boolean' ||
      typeof value === 'string' ||
      typeof value === 'number'
    )
      return value;
    if (depth > MAX_DEPTH + 2) throw new SubjectError('a value nested too deeply');
    const inner = (v) => this.decode(v, depth + 1);
    if (Array.isArray(value)) return value.map(inner);
    if (typeof value !== 'object') throw new SubjectError('an unknown value type');
    switch (value.$) {
      case 'u':
        return undefined;
      case 'num':
        return value.v === '-0' ? -0 : Number(value.v);
      case 'big':
        return BigInt(String(value.v));
      case 'o': {
        const out = {};
        for (const [k, v] of Object.entries(value.v ?? {})) define(out, k, inner(v));
        return out;
      }
      case 'tuple':
        return (value.v ?? []).map(inner);
      case 'date':
        return new Date(value.v ?? NaN);
      case 'map':
        return new Map((value.v ?? []).map(([k, v]) => [inner(k), inner(v)]));
      case 'set':
        return new Set((value.v ?? []).map(inner));
      case 'bytes':
        return new Uint8Array(Buffer.from(String(value.v), 'base64'));
      case 'headers':
        return new Headers((value.v ?? []).map(([k, v]) => [String(k), String(v)]));
      case 'err':
        return this.decodeError(value);
      case 'exc':
        return this.decodeError({ $: 'err', name: value.name, message: '', props: {} }).constructor;
      case 'fn':
        return this.remoteFunction(value);
      case 'signal':
        return this.remoteSignal(value);
      default:
        throw new SubjectError(`an unknown value tag ${JSON.stringify(String(value.$)).slice(0, 40)}`);
    }
  }

  decodeError(value) {
    if (!value || typeof value !== 'object' || value.$ !== 'err')
      return new SubjectError('an unreadable error');
    const name = this.trusted ? oneLine(value.name ?? 'Error').slice(0, 200) : String(value.name ?? 'Error');
    const message = this.trusted ? oneLine(value.message ?? '').slice(0, 4000) : String(value.message ?? '');
    const Cls = Object.hasOwn(ERROR_CLASSES, name) ? ERROR_CLASSES[name] : Error;
    const err = new Cls(message);
    if (err.name !== name) define(err, 'name', name);
    for (const [k, v] of Object.entries(value.props ?? {})) {
      try {
        define(err, k, this.decode(v));
      } catch {
        /* left out */
      }
    }
    return err;
  }

  remoteFunction(value) {
    const id = Number(value.id);
    const name = String(value.name ?? '');
    const peer = this;
    const fn = function (...args) {
      return peer.request({ fn: id, label: name }, args);
    };
    Object.defineProperty(fn, 'name', { value: name || 'remote' });
    return fn;
  }

  remoteSignal(value) {
    const id = Number(value.id);
    let controller = this.signals.get(id);
    if (!controller) {
      controller = new AbortController();
      this.signals.set(id, controller);
      if (value.aborted) controller.abort();
    }
    return controller.signal;
  }
}
