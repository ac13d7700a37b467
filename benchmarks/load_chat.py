"""Load benchmark: many clients asking the running chat at once, over loopback only.

    python benchmarks/load_chat.py [--clients 32] [--seconds 60] [--via json gradio gradio-tab page]
        [--articles seeds]

Starts `app.py` on a free loopback port, then each client thread asks questions until the time
is up or its request budget is spent, through each path in turn against the same server:
`json` is `GET /api/ask` (one request, one JSON reply); `gradio` is Gradio's HTTP API of `/ask`
(POST the question, read the answer from the event stream), through Gradio's queue as the page's
questions go, each call a new session as for an API caller; `gradio-tab` is the same with one
session per client, as a chat page's tab keeps one; `page` is the page's own question event as
the browser sends it (Gradio's queue, a session per client, the conversation kept and sent back,
the conversation and the sources panel rendered in reply).
Plain HTTP, not `gradio_client`: on two cores the heavier client would spend more CPU than the
server and measure itself. Prints, per API, requests served, errors, latency p50/p95/p99 and the
server's CPU time a request, then the server's peak resident memory. Bounded in count and time;
it stops the server itself.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What did Putin call his country's ties with China?",
    "Where did Xi and Putin meet?",
    "Which defense alliance worried both leaders?",
    "What would China do if the US imposed sanctions?",
    "Who reported from Beijing?",
    "What did the leaders say about NATO expansion?",
    "When did Putin visit Beijing?",
    "Is China vocal in backing Russia over Ukraine?",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ask_json(url: str, question: str, client: int = 0, k: int = 5) -> dict:
    """One question through `GET /api/ask`."""
    with urlopen(f"{url}api/ask?{urlencode({'q': question, 'k': k})}", timeout=60) as response:
        return json.load(response)


def ask_gradio(url: str, question: str, client: int = 0, k: int = 5, *, session: str | None = None) -> dict:
    """One question through Gradio's HTTP API: start the call, then read its event stream. Without
    a `session`, Gradio starts a new one for the call (and builds its state)."""
    body = json.dumps({"data": [question, k], "session_hash": session}).encode()
    start = Request(f"{url}gradio_api/call/ask", data=body, headers={"Content-Type": "application/json"})
    with urlopen(start, timeout=60) as response:
        event_id = json.load(response)["event_id"]
    with urlopen(f"{url}gradio_api/call/ask/{event_id}", timeout=60) as stream:
        event = ""
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"server error: {line[5:].strip()}")
                return json.loads(line[5:])[0]
    raise RuntimeError("the event stream ended without an answer")


def ask_gradio_tab(url: str, question: str, client: int) -> dict:
    """One question through Gradio's HTTP API in the client's own session, as a page's tab asks."""
    return ask_gradio(url, question, client, session=f"load-client-{client}")


@dataclass(frozen=True)
class PageEvent:
    """The page's own question event, as the browser reads it from the page's config."""

    id: int
    box: int  # the question box, the event's trigger and first input
    inputs: tuple  # the inputs' default values
    kept_in: int  # where the conversation the browser keeps is, among the inputs
    kept_out: int  # and among the outputs


@lru_cache(maxsize=4)
def page_question_event(url: str) -> PageEvent:
    with urlopen(f"{url}config", timeout=60) as response:
        config = json.load(response)
    components = {c["id"]: c for c in config["components"]}
    box = next(i for i, c in components.items() if c.get("props", {}).get("elem_id") == "question")
    event = next(d for d in config["dependencies"] if [box, "submit"] in d["targets"] and d["backend_fn"])

    def kept(ids: list[int]) -> int:
        return next(n for n, i in enumerate(ids) if components[i]["type"] == "browserstate")

    defaults = tuple(components[i].get("props", {}).get("value") for i in event["inputs"])
    return PageEvent(event["id"], box, defaults, kept(event["inputs"]), kept(event["outputs"]))


PAGE_TURNS = 8  # questions a page client asks in one conversation before starting a new one
_conversations: dict[int, tuple[int, object]] = {}  # page client: (questions asked, the conversation kept)


def ask_page(url: str, question: str, client: int) -> dict:
    """One question as the chat page sends it: its own event through Gradio's queue (join, then
    the session's event stream), in the client's session, with the conversation the page keeps;
    a new conversation every `PAGE_TURNS` questions."""
    event = page_question_event(url)
    asked, saved = _conversations.get(client, (0, None))
    if asked % PAGE_TURNS == 0:
        saved = None
    session = f"load-page-{client}"
    data = [question, *event.inputs[1:]]
    data[event.kept_in] = saved
    body = {"data": data, "fn_index": event.id, "trigger_id": event.box, "session_hash": session, "event_data": None}
    headers = {"Content-Type": "application/json"}
    join = Request(f"{url}gradio_api/queue/join", data=json.dumps(body).encode(), headers=headers)
    with urlopen(join, timeout=60) as response:
        event_id = json.load(response)["event_id"]
    with urlopen(f"{url}gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                if not message.get("success"):
                    raise RuntimeError(f"server error: {str(message.get('output'))[:200]}")
                chat, sources, *_ = outputs = message["output"]["data"]
                _conversations[client] = (asked + 1, outputs[event.kept_out])
                shown = question in html.unescape(chat) and "source-card" in sources
                return {"question": question if shown else "", "passages": [sources] if shown else []}
    raise RuntimeError("the event stream ended without an answer")


ASKERS = {"json": ask_json, "gradio": ask_gradio, "gradio-tab": ask_gradio_tab, "page": ask_page}


def wait_until_serving(server: subprocess.Popen, url: str, *, timeout: float = 600) -> None:
    """Return once the app started as `server` answers at `url`; exit if it dies or never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urlopen(url, timeout=2).read()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the app did not start") from None
            time.sleep(0.5)


def drive(ask, via: str, url: str, server_pid: int, args: argparse.Namespace) -> str:
    """Run the clients against one API; its row of the results table."""
    latencies: list[float] = []
    errors: list[str] = []
    budget = threading.Semaphore(args.max_requests)
    stop_at = time.monotonic() + args.seconds

    def client_loop(number: int) -> None:
        asked = number
        while time.monotonic() < stop_at and budget.acquire(blocking=False):
            question = QUESTIONS[asked % len(QUESTIONS)]
            asked += 1
            started = time.perf_counter()
            try:
                reply = ask(url, question, number)
                if reply["question"] != question or not reply["passages"]:
                    errors.append(f"wrong reply to {question!r}")
                latencies.append(time.perf_counter() - started)
            except Exception as error:  # every failure is counted and reported
                errors.append(repr(error)[:200])

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(args.clients)]
    server_cpu_before = cpu_seconds(server_pid)
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    server_cpu = cpu_seconds(server_pid) - server_cpu_before
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    cpu_ms = 1000 * server_cpu / max(len(latencies), 1)
    row = (
        f"| {via} | {len(latencies)} | {len(latencies) / elapsed:.1f} | {len(errors)}"
        f" | {p50:.0f} | {p95:.0f} | {p99:.0f} | {cpu_ms:.0f} |"
    )
    return "\n".join([row] + [f"  error: {error}" for error in errors[:5]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000, help="upper bound on requests in all")
    parser.add_argument("--via", nargs="+", choices=tuple(ASKERS), default=list(ASKERS), help="APIs to drive, in turn")
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as index:
        server = subprocess.Popen(
            [sys.executable, "app.py", "--articles", str(args.articles), "--index", index, "--port", str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_serving(server, url)
            print(f"clients {args.clients}, {args.seconds:.0f} s per API, cores {os.cpu_count()}")
            print("| API | requests | per second | errors | p50 ms | p95 ms | p99 ms | server CPU ms a request |")
            print("|" + " --- |" * 8)
            for via in args.via:
                print(drive(ASKERS[via], via, url, server.pid, args), flush=True)
            print(f"server peak resident memory {peak_memory_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
