"""The command line, run as a user runs it: a subprocess, text and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_ask(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.ask", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_text_and_json_modes_and_many_questions(seed_index: Path, tmp_path: Path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"question": "What did Putin call his country\'s ties with China?"}\n'
        '{"question": "How tall is the Eiffel Tower?"}\n',
        encoding="utf-8",
    )
    result = run_ask("--questions", str(questions), "--index", str(seed_index), "--json", "--k", "3")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["question"] == "What did Putin call his country's ties with China?"
    assert "unprecedented" in first["answer"] and first["found"]
    assert len(first["passages"]) == 3
    top = first["passages"][0]
    assert (top["article"], top["title"], top["paragraph"]) == (
        "000_b2141a6b3a7ab43c.txt",
        "Xi, Putin show united front amid tensions with West",
        2,
    )
    assert {"text", "score"} <= top.keys()
    assert not second["found"]

    text = run_ask("Where did Xi and Putin meet?", "--index", str(seed_index), "--k", "2")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("PanARMENIAN.Net") and lines[0].endswith("[1]")
    assert "[1] Xi, Putin show united front amid tensions with West, paragraph 1" in lines[1]


def test_missing_index_is_one_line_naming_the_build_command(tmp_path: Path):
    result = run_ask("anything", "--index", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: no index at {tmp_path / 'none'}: build it with: python -m embeddings.build --index {tmp_path / 'none'}"
    ]


def test_usage_errors_exit_2(seed_index: Path):
    assert run_ask("--index", str(seed_index)).returncode == 2
    assert run_ask("q", "--k", "0", "--index", str(seed_index)).returncode == 2
