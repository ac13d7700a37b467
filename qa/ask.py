"""Ask the articles from the command line: `python -m qa.ask "question"`.

Many questions at once (`--questions FILE`: one a line, or JSON Lines with a "question" field)
share one model load. `--json` prints one JSON object a line, the same shape as the web API.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from embeddings.cluster import ClusterProblem, ray_cluster
from embeddings.index import IndexProblem
from qa.answer import DEFAULT_K, Answerer, Reply
from qa.ranking import MODES
from qa.retrieve import Retriever
from qa.sharded import add_shard_arguments, check_shard_arguments, serve_shards

DEFAULT_INDEX = Path("index")


def read_questions(path: Path) -> Iterator[str]:
    """Questions from a file: plain lines, or JSON Lines objects with a "question" field."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} line {number}: malformed JSON ({error.msg})") from None
            if not isinstance(record.get("question"), str):
                raise ValueError(f'{path} line {number}: no "question" field')
            yield record["question"]
        else:
            yield line


def format_reply(reply: Reply) -> str:
    """Plain text: the answer, then numbered citations with the passage text."""
    lines = [*reply.notes, reply.answer]
    if reply.found and reply.answer_passage is not None:
        lines[-1] += f" [{reply.answer_passage + 1}]"
    for number, passage in enumerate(reply.passages, start=1):
        lines.append(f"  [{number}] {passage.title}, paragraph {passage.paragraph} (score {passage.score:.3f})")
        lines.append(f"      {passage.text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.ask", description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", help="the question (or use --questions)")
    parser.add_argument("--questions", type=Path, help="file of questions: one a line, or JSON Lines")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index)")
    parser.add_argument("--k", type=int, default=DEFAULT_K, help=f"passages to cite (default: {DEFAULT_K})")
    parser.add_argument("--mode", choices=MODES, default="hybrid", help="retrieval mode (default: hybrid)")
    parser.add_argument("--json", action="store_true", help="print JSON Lines, one object per question")
    add_shard_arguments(parser)
    args = parser.parse_args(argv)
    check_shard_arguments(parser, args)
    if (args.question is None) == (args.questions is None):
        parser.error("give one question, or --questions FILE")
    if not 1 <= args.k <= 50:
        parser.error("--k must be between 1 and 50")
    try:
        questions = [args.question] if args.questions is None else list(read_questions(args.questions))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with ExitStack() as running:
        try:
            if args.ray:
                running.enter_context(ray_cluster(args.ray))
                retriever = running.enter_context(serve_shards(args.index, shards=args.shards, replicas=args.replicas))
            else:
                retriever = Retriever(args.index)
        except (IndexProblem, ClusterProblem) as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        answerer = Answerer(retriever)
        for question in questions:
            reply = answerer.ask(question, k=args.k, mode=args.mode)
            print(
                json.dumps(reply.to_json(), ensure_ascii=False) if args.json else format_reply(reply) + "\n", flush=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
