"""A watched articles folder: each change to it is indexed once it settles.

watchfiles (inotify on Linux) reports changes to article files, gathered until the folder has
been quiet for a moment (`DEBOUNCE_MS`), so a copy of many files is one build, not one each. The
build is the ordinary incremental one: only new and changed articles are embedded. What changed
is told in articles (added, updated, removed), read from the index before and after the build.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from embeddings.articles import SUPPORTED_SUFFIXES
from embeddings.build import BuildReport, IndexKept, build_index
from embeddings.encoder import ParagraphEncoder
from embeddings.index import BuildInProgress, IndexProblem, current_generation, open_index

DEBOUNCE_MS = 800  # a folder quiet this long has finished changing
BUSY_RETRY_SECONDS = 1.0  # another build holds the index: try again this much later


@dataclass(frozen=True)
class FolderChange:
    """What one build of the watched folder changed in the index, in articles."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    report: BuildReport | None = None
    problem: str = ""  # why the change could not be indexed

    @classmethod
    def between(cls, before: dict[str, str], after: dict[str, str], report: BuildReport) -> FolderChange:
        """The change from one {article id: content hash} to the next."""
        return cls(
            added=len(after.keys() - before.keys()),
            updated=sum(before[key] != after[key] for key in after.keys() & before.keys()),
            removed=len(before.keys() - after.keys()),
            report=report,
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.problem)

    def __str__(self) -> str:
        if self.problem:
            return f"The folder changed but could not be indexed: {self.problem}"
        counts = [(self.added, "added"), (self.updated, "updated"), (self.removed, "removed")]
        parts = [f"{n} article{'' if n == 1 else 's'} {what}" for n, what in counts if n]
        return ", ".join(parts) if parts else "No article changed"


def article_versions(index_dir: Path) -> dict[str, str]:
    """Each indexed article's id and content hash; empty before the first build."""
    if current_generation(index_dir) is None:
        return {}
    index = open_index(index_dir)
    try:
        return {entry.article.id: entry.article.content_hash for entry in index.articles()}
    finally:
        index.close()


def index_folder(
    articles_dir: Path, index_dir: Path, encoder: ParagraphEncoder, *, stop: threading.Event | None = None
) -> FolderChange:
    """Bring the index up to date with the folder (waiting out another build) and say what changed."""
    while True:
        try:
            before = article_versions(index_dir)
            report = build_index(articles_dir, index_dir, encoder=encoder, progress=False, log=lambda line: None)
            return FolderChange.between(before, article_versions(index_dir), report)
        except BuildInProgress:
            if stop is not None and stop.wait(BUSY_RETRY_SECONDS):
                return FolderChange(problem="stopped while another build was running")
            if stop is None:
                time.sleep(BUSY_RETRY_SECONDS)
        except (IndexKept, IndexProblem, FileNotFoundError, ValueError) as error:
            return FolderChange(problem=str(error))


def is_article_change(change: object, path: str) -> bool:
    """watchfiles' filter: article files (not hidden ones, such as an upload being written), and deletions."""
    import watchfiles

    name = Path(path).name
    if name.startswith("."):
        return False
    return change == watchfiles.Change.deleted or name.lower().endswith(SUPPORTED_SUFFIXES)


def folder_changes(articles_dir: Path, stop: threading.Event, *, debounce_ms: int = DEBOUNCE_MS) -> Iterator[int]:
    """Yield once per settled burst of changes to article files under `articles_dir`, until `stop` is set."""
    import watchfiles

    for changes in watchfiles.watch(
        articles_dir,
        watch_filter=is_article_change,
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
        ignore_permission_denied=True,
    ):
        yield len(changes)


class FolderWatcher:
    """A thread that indexes each settled change to a folder and keeps the latest news of it.

    `latest` is (a number that grows with each change that changed something, that change);
    a page polls it to say "3 articles added" without a reload.
    """

    def __init__(
        self,
        articles_dir: Path,
        index_dir: Path,
        encoder: ParagraphEncoder,
        *,
        on_change: Callable[[FolderChange], None] = lambda change: None,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        self.articles_dir, self.index_dir = articles_dir, index_dir
        self.encoder = encoder  # a lazy one loads its model at the first change (or upload), if one comes
        self._on_change = on_change
        self._debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)
        self.latest: tuple[int, FolderChange | None] = (0, None)

    def start(self) -> FolderWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> FolderWatcher:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        for _ in folder_changes(self.articles_dir, self._stop, debounce_ms=self._debounce_ms):
            change = index_folder(self.articles_dir, self.index_dir, self.encoder, stop=self._stop)
            if change.changed:
                self.latest = (self.latest[0] + 1, change)
                self._on_change(change)
