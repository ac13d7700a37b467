"""Shared by the build benchmarks (`build_encoder.py`, `ray_build.py`): SQuAD dev as an articles
folder and builds of it that alternate ways round by round, so a noisy machine weighs on each
way alike."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embeddings.build import build_index
from embeddings.encoder import ParagraphEncoder
from qa.datasets import SquadQuestion, load_squad, write_jsonl


def dev_folder(folder: Path, *, questions: int = 0) -> list[SquadQuestion]:
    """Write SQuAD dev into `folder` as one `.jsonl` articles file; its questions, the first
    `questions` of them (0: all)."""
    articles = load_squad("dev")
    write_jsonl(articles, folder / "articles.jsonl")
    asked = [q for article in articles for q in article.questions]
    return asked[:questions] if questions else asked


def alternating_builds(
    folder: Path, work: Path, ways: dict[str, Callable[[], ParagraphEncoder]], *, rounds: int
) -> dict[str, list[float]]:
    """Paragraphs a second of each way's build of `folder` into a fresh index `work/<way>-<round>`,
    the ways taking turns within each round; each build's summary goes to stderr."""
    rates: dict[str, list[float]] = {way: [] for way in ways}
    for round_number in range(rounds):
        for way, make in ways.items():
            started = time.perf_counter()
            report = build_index(folder, work / f"{way}-{round_number}", encoder=make(), progress=False)
            rates[way].append(report.paragraphs / (time.perf_counter() - started))
            print(f"  {way}: {report.summary()}", file=sys.stderr)
    return rates


def print_rates(rates: dict[str, list[float]]) -> None:
    """The median rate of each way, the second's over the first's, and every round's rate."""
    (first, first_rates), (second, second_rates) = rates.items()
    first_rate, second_rate = float(np.median(first_rates)), float(np.median(second_rates))
    print(
        f"paragraphs a second: {first} {first_rate:.1f}, {second} {second_rate:.1f},"
        f" ratio {second_rate / first_rate:.3f}"
    )
    print("  each round: " + ", ".join(f"{way} {' '.join(f'{r:.1f}' for r in rates[way])}" for way in rates))
