"""Start the chat: bring the index up to date with the articles folder, then serve the page.

    python app.py [--articles DIR] [--index DIR] [--host HOST] [--port PORT] [--auth-file FILE] [--watch]
                  [--ray local|ADDRESS [--shards N] [--replicas R]]

An index remembers the folder it was built from: `--index DIR` alone chats with its own articles.
With `--watch`, a change to that folder is indexed as soon as it settles and the page says so.
With `--ray`, the build embeds on that Ray cluster and the index is served from N shards of R
replicas each (qa/sharded.py); this process is the router, with the page and the JSON API.

Credentials never go on the command line, where any user of the machine could read them in the
process list: they come from the file named by --auth-file, or from ARTICLE_QA_AUTH, as
"user:password".
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

from embeddings.build import DEFAULT_INDEX, build_index
from embeddings.cluster import ClusterProblem, ray_cluster
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import BuildInProgress, IndexProblem, recorded_articles_dir
from embeddings.ray_encoder import RayEncoder
from embeddings.watch import FolderWatcher
from qa.answer import Answerer
from qa.ranking import FusionWeights
from qa.retrieve import Retriever
from qa.sharded import add_shard_arguments, check_shard_arguments, serve_shards

AUTH_VARIABLE = "ARTICLE_QA_AUTH"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="Ask questions of a folder of articles in a web chat."
    )
    parser.add_argument(
        "--articles", type=Path, help="folder of articles (default: the one the index was built from; first: seeds)"
    )
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
    parser.add_argument(
        "--auth-file", type=Path, help=f"file holding user:password for a login (or set {AUTH_VARIABLE})"
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"embedding model the index is built with (default: {DEFAULT_MODEL}; see python -m embeddings.models)",
    )
    parser.add_argument("--root-path", default="", help="URL prefix when served behind a reverse proxy, e.g. /qa")
    parser.add_argument(
        "--replace", action="store_true", help="replace the index's articles with those of another --articles folder"
    )
    parser.add_argument("--no-build", action="store_true", help="serve the index as it is, without updating it first")
    parser.add_argument(
        "--no-uploads", action="store_true", help="read-only: readers cannot add articles from the page"
    )
    parser.add_argument(
        "--watch", action="store_true", help="index changes to the articles folder as they happen, and tell the page"
    )
    add_shard_arguments(parser)
    args = parser.parse_args(argv)
    check_shard_arguments(parser, args)
    if args.watch and args.ray:
        parser.error("--watch cannot be used with --ray: shards serve the index as it was at start")
    return args


def read_credentials(auth_file: Path | None, environ: dict[str, str]) -> tuple[str, str] | None:
    """(user, password) from the auth file or the environment; ValueError says what is wrong."""
    if auth_file is not None:
        try:
            text, origin = auth_file.read_text(encoding="utf-8").strip(), str(auth_file)
        except OSError as error:
            raise ValueError(f"cannot read the auth file {auth_file} ({error.strerror})") from None
    elif environ.get(AUTH_VARIABLE):
        text, origin = environ[AUTH_VARIABLE].strip(), AUTH_VARIABLE
    else:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError(f"{origin} must hold user:password")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether the chat listens on this machine only."""
    return host in LOOPBACK or host.startswith("127.")


def exposure_warning(host: str, credentials: tuple[str, str] | None) -> str | None:
    """A warning when the chat listens beyond this machine with no login in front of it."""
    if is_loopback(host) or credentials is not None:
        return None
    return (
        f"warning: serving on {host} without a login: anyone who can reach this machine can read the articles"
        f" and ask questions; set {AUTH_VARIABLE}=user:password or pass --auth-file FILE"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        credentials = read_credentials(args.auth_file, dict(os.environ))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    warning = exposure_warning(args.host, credentials)
    if warning:
        print(warning, file=sys.stderr)
    read_only = args.index.is_dir() and not os.access(args.index, os.W_OK)
    if read_only:
        print(f"note: the index folder {args.index} is read-only: serving it as it is, with no uploads or votes")
    if args.ray:
        print("note: served from shards: a build while serving is picked up by a restart, so no uploads")
    with ExitStack() as running:
        try:
            if args.ray:
                running.enter_context(ray_cluster(args.ray))
            if args.no_build or read_only:
                articles_dir = args.articles or recorded_articles_dir(args.index)
            else:
                report = build_index(
                    args.articles,
                    args.index,
                    encoder=RayEncoder(args.model) if args.ray else Encoder(args.model),
                    replace=args.replace,
                    fusion=asdict(FusionWeights()),  # recorded, so the index says how it is searched
                    log=lambda line: print(line, file=sys.stderr),
                )
                print(report.summary())
                if report.undo:
                    print(report.undo_line())
                articles_dir = report.articles_dir
            if args.ray:
                retriever = running.enter_context(serve_shards(args.index, shards=args.shards, replicas=args.replicas))
            else:
                retriever = Retriever(args.index)
            answerer = Answerer(retriever)
            answerer.ask("warm up")  # load the models now, not on the first visitor's question (or fail here)
        except (IndexProblem, BuildInProgress, FileNotFoundError, ValueError, ClusterProblem) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        watcher = None
        if args.watch and read_only:
            print("note: --watch needs a writable index folder; serving it as it is")
        elif args.watch and articles_dir is not None:
            watcher = running.enter_context(FolderWatcher(articles_dir, args.index, Encoder(args.model)))
            print(f"watching {articles_dir} for changes")

        from webui.server import serve  # gradio loads only when serving

        try:
            serve(
                answerer,
                host=args.host,
                port=args.port,
                auth=credentials,
                root_path=args.root_path,
                articles_dir=None if args.no_uploads or read_only or args.ray else articles_dir,
                watcher=watcher,
                private_fetches=is_loopback(args.host),  # a page served to others fetches no private address
            )
        except OSError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
