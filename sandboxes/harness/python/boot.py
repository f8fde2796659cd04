# Passed as `python3 -I -c <this file>` (-I: no user site-packages, no PYTHON* variables, no script
# folder on sys.path): reads one JSON line from stdin (files as base64, the entry module, its config),
# writes the files into a new private folder (0700) under the current folder or the temp folder,
# and runs the entry's main(). Nothing is read from /workspace.
import base64
import importlib
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
bundle = json.loads(sys.stdin.buffer.readline())
root = tempfile.gettempdir() if bundle["root"] == "tmp" else os.getcwd()
folder = tempfile.mkdtemp(prefix="ws-", dir=root)
for name, b64 in bundle["files"].items():
    if any(seg in ("", ".", "..") for seg in name.split("/")):
        raise SystemExit(f"bad path {name}")
    target = os.path.join(folder, name)
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(b64))
sys.path.insert(0, folder)
importlib.import_module(bundle["main"].rsplit(".", 1)[0]).main(dir=folder, **bundle["config"])
