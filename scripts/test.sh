#!/usr/bin/env bash
# Set up the test tools (Debian's Chromium, the Python test packages, axe-core) and run every test.
# Extra arguments go to pytest, e.g. -k build.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_install() {  # a Debian package, quietly, with sudo unless root
    echo "installing Debian's $1 for the tests..." >&2
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$1" >/dev/null
}
[ -x /usr/bin/chromium ] || apt_install chromium
command -v ip >/dev/null || apt_install iproute2  # to bring loopback up in the tests' network namespace
scripts/setup.sh requirements-dev.txt
# axe-core, the accessibility audit the browser tests inject (tests/conftest.py), from npm, once
AXE_CORE=4.14.1
if [ "$(cat .cache/axe-core/VERSION 2>/dev/null)" != "$AXE_CORE" ]; then
    command -v npm >/dev/null || apt_install npm
    rm -rf .cache/axe-core && mkdir -p .cache/axe-core
    (cd .cache && npm pack --silent "axe-core@$AXE_CORE" >/dev/null)
    tar -xzf ".cache/axe-core-$AXE_CORE.tgz" -C .cache/axe-core --strip-components=1 package/axe.min.js package/LICENSE
    rm ".cache/axe-core-$AXE_CORE.tgz"
    echo "$AXE_CORE" > .cache/axe-core/VERSION
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Every test runs in a network namespace that has loopback alone, so nothing can reach beyond this
# machine (Ray, which the cluster tests start, reaches for outside hosts otherwise).
if unshare -n true 2>/dev/null; then
    isolated=(unshare -n)
elif unshare -rn true 2>/dev/null; then  # not root: a user namespace of its own
    isolated=(unshare -rn)
else
    echo "warning: cannot make a loopback-only network namespace here; the Ray tests will skip" >&2
    exec .venv/bin/python -m pytest "$@"
fi
exec "${isolated[@]}" bash -c 'ip link set lo up && exec .venv/bin/python -m pytest "$@"' pytest "$@"
