"""Run a script with every socket connection and name lookup it makes written to a log.

python tests/network_guard.py LOG script.py [args...]
"""

import contextlib
import json
import os
import runpy
import socket
import sys

PROBE = ("127.0.0.1", 9)  # the discard port: a connect the log must show, proving the hook records


def main() -> None:
    log = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 - open for the whole run

    def record(event: str, args: tuple) -> None:
        if event == "socket.connect":
            log.write(json.dumps({"connect": repr(args[1])}) + "\n")
        elif event == "socket.getaddrinfo":
            log.write(json.dumps({"lookup": str(args[0])}) + "\n")

    sys.addaudithook(record)
    with socket.socket() as probe, contextlib.suppress(OSError):  # refused is fine: the attempt is logged
        probe.settimeout(1)
        probe.connect(PROBE)
    sys.argv = sys.argv[2:]
    sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))  # as if the script were run directly
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
