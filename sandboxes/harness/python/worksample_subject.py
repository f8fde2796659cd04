"""The subject side of the bridge: runs as the candidate's uid in /workspace.

The listener never imports candidate code; each harness connection gets a fresh worker (a fork) that
imports the one allowed module the harness names and answers calls, so one crash or hang costs one
connection, not the run. Everything here is untrusted once a worker has imported candidate code:
the harness treats every reply as data, and the verdict never depends on this process's exit code
or output.
"""

import importlib
import os
import signal
import socket
import sys
import types

from worksample_bridge import Peer


def main(dir, **config):  # noqa: A002 - the boot passes dir by name
    path, modules = config["socket"], list(config["modules"])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    # The harness runs as another uid: it needs write permission on the socket to connect.
    os.chmod(path, 0o777)
    server.listen(64)
    while True:
        conn, _ = server.accept()
        pid = os.fork()
        if pid == 0:
            server.close()
            try:
                _worker(conn, modules)
            except BaseException:  # noqa: BLE001 - a worker ends quietly; the harness sees the socket close
                pass
            finally:
                os._exit(0)
        conn.close()


def _worker(conn, modules):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the candidate's own subprocesses behave normally
    peer = Peer(conn)
    msg = peer.recv()
    if msg.get("op") == "kill":
        try:
            os.kill(int(msg.get("pid")), signal.SIGKILL)
        except (OSError, ValueError, TypeError):
            pass
        return
    if msg.get("op") != "open":
        return
    name = str(msg.get("module"))
    try:
        if name not in modules:
            raise ImportError(f"{name} is not listed in environment.subject.modules")
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(name)
        exports = _exports_of(module)
    except BaseException as error:  # noqa: BLE001 - SystemExit at import is a load failure too
        peer.send({"op": "opened", "pid": os.getpid(), "error": peer.encode(error)})
        return
    peer.exports = exports
    encoded = {}
    for key, value in exports.items():
        try:
            encoded[key] = peer.encode(value)
        except BaseException:  # noqa: BLE001 - an export that cannot cross the bridge is left out
            pass
    peer.send({"op": "opened", "pid": os.getpid(), "exports": {"$": "o", "v": encoded}})
    peer.serve_forever()


def _exports_of(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return {
        n: getattr(module, n)
        for n in names
        if hasattr(module, n) and not isinstance(getattr(module, n), types.ModuleType)
    }
