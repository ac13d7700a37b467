"""Start the chat: bring the index up to date with the articles folder, then serve the page.

python app.py [--articles DIR] [--index DIR] [--host HOST] [--port PORT]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from embeddings.build import DEFAULT_ARTICLES, DEFAULT_INDEX, build_index
from embeddings.encoder import Encoder
from embeddings.index import BuildInProgress, IndexProblem
from qa.answer import Answerer
from qa.retrieve import Retriever


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="Ask questions of a folder of articles in a web chat."
    )
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="folder of articles (default: seeds)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        help="port to listen on (default: 7860, or GRADIO_SERVER_PORT)",
    )
    parser.add_argument("--no-build", action="store_true", help="serve the index as it is, without updating it first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    encoder = Encoder()
    try:
        if not args.no_build:
            report = build_index(
                args.articles, args.index, encoder=encoder, log=lambda line: print(line, file=sys.stderr)
            )
            print(report.summary())
        answerer = Answerer(Retriever(args.index, encoder=encoder))
    except (IndexProblem, BuildInProgress, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    answerer.ask("warm up")  # load the model now, not on the first visitor's question

    from webui.page import build_page, launch_page  # gradio loads only when serving

    launch_page(build_page(answerer), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
