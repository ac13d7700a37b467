"""Load benchmark: many clients asking the running chat at once, over loopback only.

    python benchmarks/load_chat.py [--clients 32] [--seconds 60] [--articles seeds]

Starts `app.py` on a free loopback port, then each client thread asks questions through the
Gradio API (`/ask`, as `gradio_client` users do) until the time is up or its request budget
is spent. Prints requests served, errors, latency p50/p95/p99 and the server's peak resident
memory. Bounded in count and time; it stops the server itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.request import urlopen

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


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000, help="upper bound on requests in all")
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds")
    args = parser.parse_args()

    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as index:
        server = subprocess.Popen(
            [sys.executable, "app.py", "--articles", str(args.articles), "--index", index, "--port", str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 600
            while True:
                try:
                    urlopen(url, timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the app did not start") from None
                    time.sleep(0.5)
            latencies: list[float] = []
            errors: list[str] = []
            budget = threading.Semaphore(args.max_requests)
            stop_at = time.monotonic() + args.seconds

            def client_loop(number: int) -> None:
                client = Client(url, verbose=False)
                asked = number
                while time.monotonic() < stop_at and budget.acquire(blocking=False):
                    question = QUESTIONS[asked % len(QUESTIONS)]
                    asked += 1
                    started = time.perf_counter()
                    try:
                        reply = client.predict(question, 5, api_name="/ask")
                        if reply["question"] != question or not reply["passages"]:
                            errors.append(f"wrong reply to {question!r}")
                        latencies.append(time.perf_counter() - started)
                    except Exception as error:  # every failure is counted and reported
                        errors.append(repr(error)[:200])

            threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(args.clients)]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
            print(f"clients {args.clients}, {elapsed:.0f} s, cores {os.cpu_count()}")
            print(f"requests served {len(latencies)} ({len(latencies) / elapsed:.1f}/s), errors {len(errors)}")
            print(
                f"latency ms: p50 {np.percentile(ms, 50):.0f}, p95 {np.percentile(ms, 95):.0f},"
                f" p99 {np.percentile(ms, 99):.0f}, max {ms.max():.0f}"
            )
            print(f"server peak resident memory {peak_memory_mb(server.pid):.0f} MB")
            for error in errors[:5]:
                print("  error:", error)
        finally:
            server.terminate()
            server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
