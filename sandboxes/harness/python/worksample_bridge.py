"""The RPC bridge between the trusted harness (hidden tests) and the untrusted subject (candidate code).

JSON lines over a unix socket, values in a small tagged encoding, functions as callback handles; the
same wire format as sandboxes/harness/node/worksample-bridge.mjs (see there). Both sides load this
file; nothing here decides a verdict. Calls are synchronous: while a call waits for its answer, it
serves the other side's callbacks on the same connection.

Stops, on the harness side: a hostile subject turning its replies into behaviour. Decoded values are
plain data (dict, list, tuple, set, bytes, SimpleNamespace for instances); exceptions are rebuilt
from the harness's own classes (builtins or classes synthesised per name), never unpickled; a
remote SystemExit or KeyboardInterrupt becomes a SubjectFailure; lines are capped.
"""

import base64
import builtins
import json
import math
import time
import traceback
import types

MAX_LINE = 16 * 1024 * 1024
MAX_DEPTH = 64


class SubjectFailure(BaseException):
    """The bridge itself failed (the subject died, hung or answered nonsense).

    A BaseException, so `pytest.raises(Exception)` in a hidden test cannot mistake a dead subject
    for the error it expects; pytest still reports it as a failed test.
    """


class _Closed(Exception):
    pass


def _builtin_exception(name):
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls
    return None


def exception_base(mro):
    """The nearest builtin Exception class among a remote class's bases (its MRO names, itself first)."""
    return next((b for b in (_builtin_exception(n) for n in mro[1:]) if b is not None), Exception)


class Peer:
    """One end of a bridge connection.

    `exports` answers calls by name (the subject's module); callables registered while encoding
    answer calls by id. `resolve_exception(name, mro)` returns the class to raise for a remote error.
    """

    def __init__(self, sock, exports=None, timeout=None, trusted=False, resolve_exception=None):
        self.sock = sock
        self.exports = exports
        self.timeout = timeout
        self.trusted = trusted
        self.resolve_exception = resolve_exception or self._default_exception
        self.buffer = b""
        self.closed = None
        self.local = {}
        self.local_ids = {}
        self.next_fn = 1
        self.next_call = 1
        self.synthesised = {}

    # ---- transport ---------------------------------------------------------------------------

    def send(self, msg):
        data = (json.dumps(msg, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        self.sock.sendall(data)

    def recv(self, deadline=None):
        while b"\n" not in self.buffer:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError()
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise
            except OSError as error:
                raise _Closed(f"the bridge connection failed: {error}") from None
            if not chunk:
                raise _Closed("the subject process closed the connection")
            self.buffer += chunk
            if len(self.buffer) > MAX_LINE and b"\n" not in self.buffer:
                raise _Closed("the subject sent a message over the size limit")
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            msg = json.loads(line.decode("utf-8"))
        except ValueError:
            raise _Closed("the subject sent something that is not bridge JSON") from None
        if not isinstance(msg, dict):
            raise _Closed("the subject sent something that is not bridge JSON")
        return msg

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- calls -------------------------------------------------------------------------------

    def request(self, target, args, kwargs, label, timeout=None):
        """Calls `target` ({"name": ...} or {"fn": id}) on the other side and returns its result."""
        __tracebackhide__ = True  # pytest shows the test's line, not the bridge's
        if self.closed:
            raise SubjectFailure(f"{self.closed} (before {label} was called)")
        call_id = self.next_call
        self.next_call += 1
        msg = {"op": "call", "id": call_id, **target, "args": [self.encode(a) for a in args]}
        if kwargs:
            msg["kwargs"] = {k: self.encode(v) for k, v in kwargs.items()}
        timeout = self.timeout if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self.send(msg)
            while True:
                reply = self.recv(deadline)
                op = reply.get("op")
                if op == "call":
                    self.serve(reply)
                elif op in ("return", "throw") and reply.get("id") == call_id:
                    if op == "return":
                        return self.decode(reply.get("value"))
                    raise self.decode_error(reply.get("error")) from None
        except TimeoutError:
            self.closed = f"{label} did not answer within {timeout:g} s"
            self.close()
            raise SubjectFailure(self.closed) from None
        except (_Closed, OSError) as error:
            self.closed = str(error)
            self.close()
            raise SubjectFailure(f"{error} while {label} was running") from None

    def serve(self, msg):
        """Answers one call from the other side."""
        call_id = msg.get("id")
        try:
            fn = None
            if isinstance(msg.get("fn"), int):
                fn = self.local.get(msg["fn"])
            elif isinstance(msg.get("name"), str) and self.exports is not None:
                fn = self.exports.get(msg["name"])
            if not callable(fn):
                raise TypeError(f"{msg.get('name', 'the handle')} is not callable")
            args = [self.decode(a) for a in msg.get("args") or []]
            kwargs = {str(k): self.decode(v) for k, v in (msg.get("kwargs") or {}).items()}
            value = fn(*args, **kwargs)
            encoded = self.encode(value)
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the caller
            try:
                payload = self.encode(error)
            except BaseException:  # noqa: BLE001
                payload = {"$": "err", "name": type(error).__name__, "message": "unencodable error", "mro": []}
            self.send({"op": "throw", "id": call_id, "error": payload})
            return
        self.send({"op": "return", "id": call_id, "value": encoded})

    def serve_forever(self):
        while True:
            msg = self.recv()
            if msg.get("op") == "call":
                self.serve(msg)

    # ---- encoding ----------------------------------------------------------------------------

    def encode(self, value, depth=0, seen=None):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) <= 2**53 else {"$": "big", "v": str(value)}
        if isinstance(value, float):
            if math.isnan(value):
                return {"$": "num", "v": "NaN"}
            if math.isinf(value):
                return {"$": "num", "v": "Infinity" if value > 0 else "-Infinity"}
            if value == 0 and math.copysign(1, value) < 0:
                return {"$": "num", "v": "-0"}
            return value
        if depth > MAX_DEPTH:
            raise TypeError("a value nested too deeply to cross the bridge")
        seen = seen if seen is not None else set()
        if id(value) in seen:
            raise TypeError("a value with a cycle cannot cross the bridge")
        seen.add(id(value))
        try:
            inner = lambda v: self.encode(v, depth + 1, seen)  # noqa: E731
            if isinstance(value, list):
                return [inner(v) for v in value]
            if isinstance(value, tuple):  # namedtuples too
                return {"$": "tuple", "v": [inner(v) for v in value]}
            if isinstance(value, dict):
                if all(isinstance(k, str) for k in value):
                    return {"$": "o", "v": {k: inner(v) for k, v in value.items()}}
                return {"$": "map", "v": [[inner(k), inner(v)] for k, v in value.items()]}
            if isinstance(value, (set, frozenset)):
                return {"$": "set", "v": [inner(v) for v in value]}
            if isinstance(value, (bytes, bytearray)):
                return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
            if isinstance(value, BaseException):
                return self.encode_error(value, inner)
            if isinstance(value, type) and issubclass(value, BaseException):
                return {"$": "exc", "name": value.__name__, "mro": [c.__name__ for c in value.__mro__]}
            if callable(value):
                return self.encode_function(value)
            attrs = getattr(value, "__dict__", None)
            if isinstance(attrs, dict):
                return {
                    "$": "o",
                    "cls": type(value).__name__,
                    "v": {k: inner(v) for k, v in attrs.items() if isinstance(k, str) and not callable(v)},
                }
            raise TypeError(f"a {type(value).__name__} cannot cross the bridge")
        finally:
            seen.discard(id(value))

    def encode_error(self, error, inner):
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.endswith("worksample_bridge.py"):
            tb = tb.tb_next  # the bridge's own frames say nothing about the candidate's code
        try:
            args = [inner(a) for a in error.args]
        except BaseException:  # noqa: BLE001
            args = [str(error)]
        return {
            "$": "err",
            "name": type(error).__name__,
            "message": str(error),
            "mro": [c.__name__ for c in type(error).__mro__],
            "args": args,
            "trace": "".join(traceback.format_exception(type(error), error, tb))[-4000:],
            "props": {},
        }

    def encode_function(self, fn):
        fn_id = self.local_ids.get(id(fn))
        if fn_id is None or self.local.get(fn_id) is not fn:
            fn_id = self.next_fn
            self.next_fn += 1
            self.local[fn_id] = fn
            self.local_ids[id(fn)] = fn_id
        return {"$": "fn", "id": fn_id, "name": getattr(fn, "__name__", "")}

    def decode(self, value, depth=0):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if depth > MAX_DEPTH + 2:
            raise SubjectFailure("the subject sent a value nested too deeply")
        inner = lambda v: self.decode(v, depth + 1)  # noqa: E731
        if isinstance(value, list):
            return [inner(v) for v in value]
        if not isinstance(value, dict):
            raise SubjectFailure("the subject sent an unknown value type")
        tag = value.get("$")
        v = value.get("v")
        if tag == "u":
            return None
        if tag == "num":
            return -0.0 if v == "-0" else float(str(v).lower().replace("infinity", "inf"))
        if tag == "big":
            return int(str(v))
        if tag == "o":
            data = {str(k): inner(x) for k, x in (v or {}).items()}
            if value.get("cls") and self.trusted:
                return types.SimpleNamespace(**data)
            return data
        if tag == "tuple":
            return tuple(inner(x) for x in v or [])
        if tag == "map":
            return {_hashable(inner(k)): inner(x) for k, x in v or []}
        if tag == "set":
            return {_hashable(inner(x)) for x in v or []}
        if tag == "bytes":
            return base64.b64decode(str(v))
        if tag == "date":
            return v
        if tag == "headers":
            return {str(k): str(x) for k, x in v or []}
        if tag == "err":
            return self.decode_error(value)
        if tag == "exc":
            return self.resolve_exception(str(value.get("name")), [str(n) for n in value.get("mro") or []])
        if tag == "fn":
            return self.remote_function(int(value.get("id")), str(value.get("name") or "callback"))
        if tag == "signal":
            return None
        raise SubjectFailure(f"the subject sent an unknown value tag {str(tag)[:40]!r}")

    def decode_error(self, value):
        if not isinstance(value, dict) or value.get("$") != "err":
            return SubjectFailure("the subject sent an unreadable error")
        name = str(value.get("name") or "Exception")
        mro = [str(n) for n in value.get("mro") or []]
        message = str(value.get("message") or "")
        cls = self.resolve_exception(name, mro)
        if cls is None:
            return SubjectFailure(f"the candidate code raised {name}: {message}")
        try:
            error = cls(*[self.decode(a) for a in value.get("args") or []])
        except BaseException:  # noqa: BLE001 - e.g. UnicodeDecodeError wants five arguments
            try:
                error = cls(message)
            except BaseException:  # noqa: BLE001
                return SubjectFailure(f"the candidate code raised {name}: {message}")
        trace = value.get("trace")
        if trace and hasattr(error, "add_note"):
            error.add_note("raised in the candidate's code:\n" + str(trace))
        return error

    def _default_exception(self, name, mro):
        """A builtin exception by name, else a class synthesised once per name with the nearest builtin base."""
        cls = _builtin_exception(name)
        if cls is not None:
            return cls
        if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit") or (mro and "Exception" not in mro):
            return None
        if name not in self.synthesised:
            base = exception_base(mro)
            ident = name if name.isidentifier() else "SubjectException"
            self.synthesised[name] = type(ident, (base,), {"__module__": "candidate"})
        return self.synthesised[name]

    def remote_function(self, fn_id, name):
        peer = self

        def remote(*args, **kwargs):
            return peer.request({"fn": fn_id}, args, kwargs, f"{name}()")

        remote.__name__ = name if name.isidentifier() else "callback"
        return remote


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, set):
        return frozenset(value)
    return value
