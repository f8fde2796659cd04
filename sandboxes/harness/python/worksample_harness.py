"""What a hidden test imports to reach the candidate's code.

The test runs in the trusted harness (its own uid and folder); the candidate's module runs in the
subject process, and calls cross the bridge::

    from worksample_harness import subject

    rag = subject("rag")

    def test_ranks():
        assert [s["id"] for s in rag.rank_snippets("refund", DOCS)] == ["kb-102"]

    def test_errors():
        with pytest.raises(rag.AnswerError):
            rag.answer_question("…", [])

Functions are called synchronously; arguments and results are copied (functions passed in become
callbacks). Constants are copied values, the module's exception classes are stand-ins that
`pytest.raises` matches, and builtin exceptions arrive as themselves. A crashed or hung subject raises
SubjectFailure (a BaseException, so `pytest.raises(Exception)` does not swallow it); the next call
starts a fresh subject worker. See docs/HIDDEN-TESTS.md.
"""

import json
import os
import socket
import time

from worksample_bridge import Peer, SubjectFailure, exception_base

__all__ = ["subject", "SubjectFailure"]

DEFAULT_TIMEOUT = 30.0
# Starting a worker and importing the module get at least this long, whatever the call timeout says.
MIN_LOAD = 20.0
# The subject may still be starting at the first connect; later, a missing listener means it died.
FIRST_CONNECT = 20.0
RECONNECT = 2.0
_state = {"connected": False, "unreachable": False}
_modules = {}


def _config():
    path = os.environ.get("WORKSAMPLE_SUBJECT_SOCKET")
    if not path:
        raise SubjectFailure(
            "WORKSAMPLE_SUBJECT_SOCKET is not set: hidden tests run inside the grading harness (docs/HIDDEN-TESTS.md)"
        )
    return path, json.loads(os.environ.get("WORKSAMPLE_SUBJECT_MODULES") or "[]")


def subject(module, timeout=DEFAULT_TIMEOUT):
    """The candidate module `module` (as listed in environment.subject.modules), loaded on first use."""
    path, allowed = _config()
    if module not in allowed:
        raise SubjectFailure(
            f"subject({module!r}): not listed in environment.subject.modules of task.yaml ({', '.join(allowed) or 'none listed'})"
        )
    key = (module, float(timeout))
    if key not in _modules:
        _modules[key] = _Module(path, module, float(timeout))
    return _modules[key]


def _connect(path, within):
    deadline = time.monotonic() + within
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError as error:
            sock.close()
            if time.monotonic() >= deadline:
                raise SubjectFailure(f"cannot reach the subject process: {error.strerror or error}") from None
            time.sleep(0.05)


class _Module:
    def __init__(self, path, name, timeout):
        d = self.__dict__
        d["_path"], d["_name"], d["_timeout"] = path, name, timeout
        d["_peer"], d["_pid"], d["_exports"] = None, None, None
        d["_exceptions"], d["_functions"] = {}, {}

    def __repr__(self):
        return f"<candidate module {self._name!r}>"

    def __setattr__(self, attr, value):
        raise AttributeError("the candidate module is read-only here")

    def __getattr__(self, attr):
        __tracebackhide__ = True
        # pytest and other tools probe objects for _private and __dunder__ names; the candidate's
        # module exports neither, and a probe must not load it (a broken module would fail collection).
        if attr.startswith("_"):
            raise AttributeError(attr)
        exports = self._open()
        if attr not in exports:
            raise AttributeError(f"candidate module {self._name!r} has no attribute {attr!r}")
        value = exports[attr]
        tag = value.get("$") if isinstance(value, dict) else None
        if tag == "fn":
            return self._function(attr)
        if tag == "exc":
            return self._exception(attr, [str(n) for n in value.get("mro") or []])
        return self._peer.decode(value)

    def _function(self, name):
        if name not in self._functions:
            module = self

            def call(*args, **kwargs):
                __tracebackhide__ = True
                module._open()
                peer = module._peer
                try:
                    return peer.request({"name": name}, args, kwargs, f"{module._name}.{name}()")
                except SubjectFailure:
                    if peer.closed and "did not answer" in peer.closed:
                        _kill(module._path, module._pid)
                    raise

            call.__name__ = call.__qualname__ = name
            self._functions[name] = call
        return self._functions[name]

    def _exception(self, name, mro):
        """A stand-in class per exception name, stable across subject restarts, so pytest.raises matches."""
        if name not in self._exceptions:
            cls = type(name if name.isidentifier() else "CandidateException", (exception_base(mro),), {})
            cls.__module__ = self._name
            self._exceptions[name] = cls
        return self._exceptions[name]

    def _resolve(self, name, mro):
        if name in self._exceptions:
            return self._exceptions[name]
        if self._exports and name in self._exports and (self._exports[name] or {}).get("$") == "exc":
            return self._exception(name, mro)
        return self._peer._default_exception(name, mro)

    def _open(self):
        if self._peer is not None and not self._peer.closed:
            return self._exports
        within = 0 if _state["unreachable"] else RECONNECT if _state["connected"] else FIRST_CONNECT
        try:
            sock = _connect(self._path, within)
        except SubjectFailure:
            _state["unreachable"] = True
            raise
        _state["connected"] = True
        peer = Peer(sock, timeout=self._timeout, trusted=True, resolve_exception=lambda n, m: self._resolve(n, m))
        self.__dict__["_peer"] = peer
        try:
            peer.send({"op": "open", "module": self._name})
            msg = peer.recv(time.monotonic() + max(self._timeout, MIN_LOAD))
        except TimeoutError:
            peer.closed = f"loading {self._name} took longer than {max(self._timeout, MIN_LOAD):g} s"
            peer.close()
            raise SubjectFailure(peer.closed) from None
        except BaseException as error:  # noqa: BLE001
            peer.closed = str(error)
            peer.close()
            raise SubjectFailure(f"{error} while loading {self._name}") from None
        self.__dict__["_pid"] = msg.get("pid")
        if msg.get("op") != "opened" or msg.get("error") is not None:
            error = peer.decode_error(msg.get("error"))
            peer.closed = f"{self._name} could not be loaded"
            peer.close()
            what = str(error) if isinstance(error, SubjectFailure) else f"{type(error).__name__}: {error}"
            raise SubjectFailure(f"{self._name} could not be loaded: {what}")
        exports = (msg.get("exports") or {}).get("v") or {}
        self.__dict__["_exports"] = exports
        return exports


def _kill(path, pid):
    """Asks the subject's listener (through a fresh worker) to end a worker that stopped answering."""
    if not pid:
        return
    try:
        sock = _connect(path, 1.0)
        sock.sendall((json.dumps({"op": "kill", "pid": pid}) + "\n").encode())
        sock.close()
    except BaseException:  # noqa: BLE001 - best effort
        pass
