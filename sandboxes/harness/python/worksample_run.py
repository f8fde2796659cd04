"""The harness's main: runs the task's grade command on the hidden tests in this private folder.

Then prints the report between nonce-marked lines on its own stdout, the only channel the server
reads a verdict from (the candidate's uid can neither write it nor read this folder).
"""

import base64
import json
import os
import subprocess
import sys
from urllib.parse import quote

MAX_REPORT = 8 * 1024 * 1024
# Our own config file: pytest then takes this folder as rootdir and reads no other configuration.
PYTEST_INI = "[pytest]\n"


def main(dir, argv, report, nonce, socket, modules, **_):  # noqa: A002
    tmp = os.path.join(dir, ".tmp")
    os.makedirs(tmp, mode=0o700, exist_ok=True)
    if not any(os.path.exists(os.path.join(dir, f)) for f in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")):
        with open(os.path.join(dir, "pytest.ini"), "w") as f:
            f.write(PYTEST_INI)
    env = dict(
        os.environ,
        HOME=dir,
        TMPDIR=tmp,
        PYTHONPATH=dir,
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        WORKSAMPLE_SUBJECT_SOCKET=socket,
        WORKSAMPLE_SUBJECT_MODULES=json.dumps(modules),
    )
    out = bytearray()
    code, error = None, None
    try:
        proc = subprocess.Popen(argv, cwd=dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        for chunk in iter(lambda: proc.stdout.read1(65536), b""):
            if report["format"] != "tap":
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            if len(out) < MAX_REPORT:
                out += chunk
        code = proc.wait()
    except OSError as e:
        error = str(e)
    body = None
    if report["format"] == "tap":
        body = bytes(out)
    else:
        try:
            with open(os.path.join(dir, report["path"]), "rb") as f:
                body = f.read(MAX_REPORT)
        except OSError:
            body = None
    head = [f"exit={'none' if code is None else code}", f"bytes={len(body)}" if body is not None else "missing=1"]
    if error:
        head.append(f"error={quote(error)}")
    encoded = base64.b64encode(body).decode("ascii") if body is not None else ""
    frame = f"\n@@worksample-report {nonce} {' '.join(head)}\n{encoded}\n@@worksample-report-end {nonce}\n"
    sys.stdout.buffer.write(frame.encode("ascii"))
    sys.stdout.buffer.flush()
