"""Soak: the chat under steady load for minutes while a rebuild adds articles every minute.

    python benchmarks/soak.py [--minutes 10] [--clients 16] [--rebuild-every 60] [--warm-up 180] [--same-size]

Copies the SQuAD dev articles and their index (made by `python -m qa.evaluate`, in .cache/squad)
into a temporary folder, starts `app.py` on them and has `--clients` threads ask SQuAD dev
questions over loopback for the whole run, half through `/api/ask`, half through Gradio's `/ask`
(the chat page's path). Every `--rebuild-every` seconds one more SQuAD train article is added to
the folder and `python -m embeddings.build --index ...` brings the index up to date, as a user
would, while the server keeps answering and picks up each new index. With `--same-size` each new
article replaces the one added before, so the index stays the same size: memory that still grows
is not the index's. Every 10 s the server's
resident memory and open file handles are sampled.

Prints requests, failures, latency, each rebuild, the memory slope after the warm-up (least
squares, MB a minute; also over the second half of those samples, as the memory takes about 25
minutes at 16 clients to level off: docs/benchmarks.md), the handles at the start and the end,
and the handles and mappings still held on retired generations (a leak would show there); then
checks that the last article added is what answers a question about it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for its packages

from load_chat import ask_gradio, ask_json, free_port, wait_until_serving

from embeddings.index import Manifest, current_generation
from qa.answer import clean_question
from qa.datasets import CACHE, load_squad, spread_dev_questions, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 10


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_handles(pid: int) -> list[str]:
    """Where each of the process's file descriptors points."""
    handles = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            handles.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:  # closed while listing
            continue
    return handles


def held_on_retired(pid: int, index_dir: Path) -> tuple[int, int]:
    """Handles and memory mappings the server still holds on generations no longer live."""
    live = current_generation(index_dir).name
    root = str(index_dir.resolve())

    def retired(target: str) -> bool:
        if not target.startswith(root + "/gen-"):
            return False
        return target[len(root) + 1 :].split("/", 1)[0] != live

    handles = sum(retired(target) for target in open_handles(pid))
    mapped = {line.split(maxsplit=5)[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()}
    return handles, sum(retired(path.removesuffix(" (deleted)")) for path in mapped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rebuild-every", type=float, default=60, help="seconds between rebuilds")
    parser.add_argument("--warm-up", type=float, default=180, help="seconds left out of the memory slope")
    parser.add_argument("--same-size", action="store_true", help="each added article replaces the one before")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()

    dev_articles, dev_index = args.cache / "squad" / "articles-dev", args.cache / "squad" / "index-dev"
    if current_generation(dev_index) is None:
        raise SystemExit(f"no SQuAD dev index at {dev_index}: make it with python -m qa.evaluate --questions 10")
    questions = spread_dev_questions(400, cache=args.cache)
    extra = load_squad("train", cache=args.cache)[:: max(1, 442 // 40)]  # articles to add, one a rebuild

    with tempfile.TemporaryDirectory() as work:
        articles, index = Path(work) / "articles", Path(work) / "index"
        shutil.copytree(dev_articles, articles)
        shutil.copytree(dev_index, index)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        command = [sys.executable, "app.py", "--articles", str(articles), "--index", str(index), "--replace"]
        server = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_serving(server, url)
            handles_at_start = len(open_handles(server.pid))
            segments_at_start = len(Manifest.read(current_generation(index)).segments)
            print(
                f"soak: {args.minutes:.0f} min, {args.clients} clients, a rebuild every {args.rebuild_every:.0f} s,"
                f" SQuAD dev index, cores {os.cpu_count()}; server idle: {resident_mb(server.pid):.0f} MB,"
                f" {handles_at_start} handles",
                flush=True,
            )
            latencies: list[float] = []
            failures: list[str] = []
            stop_at = time.monotonic() + 60 * args.minutes

            def client(number: int) -> None:
                ask = ask_json if number % 2 == 0 else ask_gradio
                asked = number * 17
                while time.monotonic() < stop_at:
                    question = questions[asked % len(questions)]
                    asked += 1
                    started = time.perf_counter()
                    try:
                        reply = ask(url, question)
                        if reply["question"] != clean_question(question)[0] or not reply["passages"]:
                            failures.append(f"wrong reply to {question!r}")
                        latencies.append(time.perf_counter() - started)
                    except Exception as error:  # every failure is counted and reported
                        failures.append(repr(error)[:200])

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            samples: list[tuple[float, float, int]] = []
            rebuilds: list[str] = []
            added = []
            building: tuple[subprocess.Popen, float] | None = None
            next_rebuild = began + args.rebuild_every
            while time.monotonic() < stop_at or building:
                time.sleep(SAMPLE_SECONDS)
                samples.append((time.monotonic() - began, resident_mb(server.pid), len(open_handles(server.pid))))
                if building and building[0].poll() is not None:
                    build, started = building
                    out, err = build.communicate()
                    line = out.splitlines()[0] if build.returncode == 0 else f"FAILED: {err.strip()}"
                    rebuilds.append(f"{time.monotonic() - started:.0f} s: {line}")
                    building = None
                if not building and time.monotonic() >= next_rebuild and time.monotonic() < stop_at:
                    article = extra[len(added) % len(extra)]
                    name = "added.jsonl" if args.same_size else f"added-{len(added):03d}.jsonl"
                    write_jsonl([article], articles / name)
                    added.append(article)
                    build = subprocess.Popen(
                        [sys.executable, "-m", "embeddings.build", "--index", str(index), "--quiet"],
                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                    )  # fmt: skip
                    building = (build, time.monotonic())
                    next_rebuild += args.rebuild_every
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            last = added[-1].questions[0] if added else None
            last_reply = ask_json(url, last.question if last else questions[0])  # one idle question
            time.sleep(2)  # let the server close the clients' connections
            handles_at_end = len(open_handles(server.pid))
            segments_at_end = len(Manifest.read(current_generation(index)).segments)
            retired_handles, retired_maps = held_on_retired(server.pid, index)
        finally:
            server.terminate()
            server.wait(timeout=60)

    ms = np.array(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    print(
        f"requests {len(latencies)} in {elapsed:.0f} s ({len(latencies) / elapsed:.1f} a second),"
        f" failed {len(failures)}; p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"
    )
    for failure in failures[:5]:
        print(f"  failure: {failure}")
    print(f"rebuilds {len(rebuilds)}:")
    for rebuild in rebuilds:
        print(f"  {rebuild}")
    print("minute: resident MB, handles")
    for t, mb, handles in samples:
        if int(t) // 60 != int(t - SAMPLE_SECONDS) // 60:
            print(f"  {t / 60:4.1f}: {mb:.0f} MB, {handles} handles")
    warm = np.array([(t, mb) for t, mb, _ in samples if t >= args.warm_up])
    if len(warm) >= 2:
        slope = np.polyfit(warm[:, 0] / 60, warm[:, 1], 1)[0]
        later = warm[warm[:, 0] >= warm[:, 0].mean()]  # the second half: has it levelled off?
        later_slope = np.polyfit(later[:, 0] / 60, later[:, 1], 1)[0] if len(later) >= 2 else float("nan")
        print(
            f"resident memory after warm-up: {warm[0, 1]:.0f} MB to {warm[-1, 1]:.0f} MB"
            f" (max {warm[:, 1].max():.0f}), slope {slope:+.1f} MB a minute over {len(warm)} samples,"
            f" {later_slope:+.1f} over the second half of them"
        )
    print(
        f"handles idle: {handles_at_start} at the start ({segments_at_start} segments),"
        f" {handles_at_end} at the end ({segments_at_end} segments);"
        f" on retired generations at the end: {retired_handles} handles, {retired_maps} mappings"
    )
    if last is not None:
        top = last_reply["passages"][0]["title"] if last_reply["passages"] else "nothing"
        print(f"the last article added ({last.article_id}, {added[-1].title!r}) answers {last.question!r}: {top!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
