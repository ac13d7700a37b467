"""No connection leaves the machine: building, launching and answering stay on loopback."""

from __future__ import annotations

import ast
import json
import socket
from pathlib import Path

import pytest

from tests.conftest import LOOPBACK_HOSTS, ROOT, is_loopback, running_app


@pytest.mark.slow
def test_build_launch_and_answer_open_no_socket_beyond_loopback(articles_dir: Path, tmp_path: Path):
    log = tmp_path / "network.log"
    guard = (str(ROOT / "tests" / "network_guard.py"), str(log))
    with running_app("--articles", str(articles_dir), "--index", str(tmp_path / "index"), wrapper=guard) as url:
        from gradio_client import Client

        reply = Client(url, verbose=False).predict("Where did Xi and Putin meet?", 2, api_name="/ask")
        assert reply["found"] and reply["passages"][0]["paragraph"] == 1
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


def test_the_tests_themselves_cannot_reach_beyond_loopback():
    """conftest's guard: a test that would need the network fails instead of fetching."""
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError, match="tests stay on this machine"):
        probe.connect(("192.0.2.1", 80))  # TEST-NET-1: documentation only, never routed
