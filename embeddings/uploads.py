"""Articles added from the page: checked by the build's own readers, saved under a safe name.

A file is read before it is kept, so one the build would skip is refused with the build's own
reason and never lands in the folder. Names are cut down to letters, digits, dots, dashes and
underscores, and a taken name gets a number, so an upload can neither leave the uploads folder
nor replace another article.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from embeddings.articles import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, Article, read_file

UPLOADS = "uploads"  # subfolder of the articles folder that uploads go to
MAX_NAME = 80


@dataclass(frozen=True)
class Upload:
    """What became of one uploaded file or pasted text: where it was saved, or why not."""

    name: str
    saved: Path | None
    reason: str = ""

    def __str__(self) -> str:
        return f"added {self.name}" if self.saved else f"refused {self.name}: {self.reason}"


def unwritable_reason(error: OSError) -> str:
    """Why a file could not be written, in a reader's words."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only"
    return error.strerror or str(error)


def safe_name(name: str) -> str:
    """A file name that stays in its folder: no path, no hidden file, plain characters only."""
    stem, suffix = os.path.splitext(Path(name.replace("\\", "/")).name)
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_.") or "article"
    return stem[:MAX_NAME] + re.sub(r"[^a-z0-9.]", "", suffix.lower())


def claim_name(staged: Path, name: str) -> Path:
    """Give `staged` the name, or the name with the first free number; never replaces a file."""
    stem, suffix = os.path.splitext(name)
    for number in range(1, 10_000):
        target = staged.parent / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            os.link(staged, target)  # fails if the name is taken, even by a simultaneous upload
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"no free name for {name} in {staged.parent}")


def save_upload(articles_dir: Path, name: str, data: bytes) -> Upload:
    """Keep `data` as `articles_dir/uploads/<safe name>` if the build can read an article from it."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        formats = ", ".join(SUPPORTED_SUFFIXES)
        return Upload(name, None, f"{suffix or 'no extension'} is not an article format; use {formats}")
    if len(data) > MAX_FILE_BYTES:
        return Upload(name, None, f"{len(data) / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 1_000_000} MB limit")
    folder = articles_dir / UPLOADS
    staged: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", suffix=suffix, delete=False) as handle:
            staged = Path(handle.name)
            handle.write(data)
        items = list(read_file(staged, relative_path=name))
        if not any(isinstance(item, Article) for item in items):
            reason = items[0].reason if items else "no article in it"
            return Upload(name, None, reason)
        return Upload(name, claim_name(staged, safe_name(name)))
    except OSError as error:
        return Upload(name, None, f"it cannot be saved: {unwritable_reason(error)}")
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)


def save_pasted(articles_dir: Path, title: str, text: str) -> Upload:
    """Keep pasted text as a `.txt` article: the title, a blank line, then the text."""
    title, text = " ".join(title.split()), text.strip()
    if not title or not text:
        return Upload(title or "pasted text", None, "give both a title and the article's text")
    return save_upload(articles_dir, f"{title}.txt", f"{title}\n\n{text}\n".encode())
