"""No connection leaves the machine: building, launching and answering stay on loopback."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from tests.conftest import ROOT, free_port

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"}


def is_loopback(address: object) -> bool:
    if isinstance(address, str):  # a Unix socket path
        return True
    host = str(address[0])
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def test_build_launch_and_answer_open_no_socket_beyond_loopback(articles_dir: Path, tmp_path: Path):
    log = tmp_path / "network.log"
    port = free_port()
    app = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "network_guard.py"),
            str(log),
            str(ROOT / "app.py"),
            "--articles",
            str(articles_dir),
            "--index",
            str(tmp_path / "index"),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert app.poll() is None, app.stdout.read()
            try:
                urlopen(url, timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the app did not start in time"
                time.sleep(0.5)
        from gradio_client import Client

        reply = Client(url, verbose=False).predict("Where did Xi and Putin meet?", 2, api_name="/ask")
        assert reply["found"] and reply["passages"][0]["paragraph"] == 1
    finally:
        app.terminate()
        app.wait(timeout=30)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    connects = [
        ast.literal_eval(e["connect"]) if e["connect"].startswith(("(", "'")) else e["connect"]
        for e in events
        if "connect" in e
    ]
    lookups = {e["lookup"] for e in events if "lookup" in e}
    assert ("127.0.0.1", 9) in connects, "the guard did not record its own probe; it is not recording"
    assert all(is_loopback(address) for address in connects), connects
    assert lookups <= LOOPBACK_HOSTS, lookups
