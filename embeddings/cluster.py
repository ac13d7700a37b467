"""A Ray cluster to build or serve on: one started here and stopped after (`local`), or one joined.

Ray is an optional extra (`pip install -r requirements-ray.txt`); nothing else imports it. It
reaches for outside hosts (usage statistics, cloud metadata) unless told not to, so the settings
below are applied before it starts; on a machine that must stay offline, run it inside a
loopback-only network namespace as well (README, "On a Ray cluster").
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RAY_SETTINGS = {
    "RAY_USAGE_STATS_ENABLED": "0",  # no usage report home
    "RAY_AUTH_MODE": "disabled",  # unset, Ray 2.60 turns token auth on and writes ~/.ray/auth_token
    "RAY_worker_niceness": "0",  # workers otherwise run at niceness 15 and starve beside the driver
}
LOCAL = "local"
OBJECT_STORE_BYTES = 2 * 1024**3  # batches of texts and vectors pass through it, a few MB at a time
# Shipped to every worker, so a cluster's nodes need only the packages, not a copy of this project.
RUNTIME_ENV = {"py_modules": [str(Path(__file__).resolve().parent)]}


class ClusterProblem(RuntimeError):
    """No cluster to work on; the message says why and what to do."""


class RayMissing(ClusterProblem):
    """`--ray` was asked for but Ray is not installed."""


def check_reachable(address: str, *, timeout: float = 5.0) -> None:
    """`ClusterProblem` at once when nothing listens at `address` (HOST:PORT), where `ray.init`
    would wait minutes before failing."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except (OSError, ValueError):
        raise ClusterProblem(
            f"no Ray cluster answers at {address}: start one there with `ray start --head --port PORT`,"
            " or use --ray local"
        ) from None


def import_ray():
    """Ray itself, with this project's settings in the environment first; a one-line error if absent."""
    for name, value in RAY_SETTINGS.items():
        os.environ.setdefault(name, value)
    try:
        import ray
    except ImportError as error:
        raise RayMissing("Ray is not installed: pip install -r requirements-ray.txt") from error
    return ray


@contextmanager
def ray_cluster(address: str, *, cpus: int | None = None) -> Iterator[None]:
    """Connected to a Ray cluster for the block: `local` starts one on this machine and stops it
    after (with `cpus` CPUs, default all), any other value is the address of a running one."""
    ray = import_ray()
    temp_dir = None
    if address == LOCAL:
        # A short path of our own: Ray's socket names must fit in 107 bytes, and a stale
        # session of another Ray on this machine is left alone.
        temp_dir = tempfile.mkdtemp(prefix="aqa-ray-", dir="/tmp")
        ray.init(
            num_cpus=cpus or os.cpu_count(),
            object_store_memory=OBJECT_STORE_BYTES,
            include_dashboard=False,
            _temp_dir=temp_dir,
            _node_ip_address="127.0.0.1",  # a cluster of this machine alone listens on loopback only
            runtime_env=RUNTIME_ENV,
            logging_level="warning",
            log_to_driver=False,
        )
    else:
        check_reachable(address)
        ray.init(address=address, runtime_env=RUNTIME_ENV, logging_level="warning", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()  # stops the processes a local start made, and only those
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
