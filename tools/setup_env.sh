#!/usr/bin/env bash
# Set up ./.venv for this clone, idempotently, on a machine with only Python.
#
# The heavy dependencies (torch with its CUDA libraries is ~5.8 GB) live in one
# environment shared by every clone whose requirement files are the same, keyed
# by their hash: a second clone, or a second CI run, installs nothing but this
# package. ./.venv itself is a small venv that sees the shared packages through
# a .pth file and holds dilemma_mm installed in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
cache=${DILEMMA_MM_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dilemma_mm}
key=$({ "$PYTHON" -c 'import platform, sys; print(sys.version, platform.machine())'
        cat requirements/runtime.txt requirements/tests.txt \
            requirements/optional.txt requirements/constraints.txt; } |
      sha256sum | cut -c1-16)
deps=$cache/deps-$key
mkdir -p "$cache"

if [ ! -f "$deps/.complete" ]; then
    echo "[setup_env] installing dependencies into $deps (once per requirement set)"
    tmp=$(mktemp -d "$cache/.deps-$key.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    "$PYTHON" -m pip install --quiet --target "$tmp/site" \
        -c requirements/constraints.txt -r requirements/runtime.txt \
        -r requirements/tests.txt -r requirements/optional.txt
    touch "$tmp/site/.complete"
    # Rename is atomic: a concurrent run either wins or finds ours complete.
    mv -T "$tmp/site" "$deps" 2>/dev/null || true
    rm -rf "$tmp"
    trap - EXIT
    [ -f "$deps/.complete" ] || { echo "[setup_env] failed to create $deps" >&2; exit 1; }
fi

# .venv/.deps is written last, so a half-made .venv is made again.
if [ "$(cat .venv/.deps 2>/dev/null)" != "$deps" ]; then
    echo "[setup_env] creating .venv on top of $deps"
    rm -rf .venv
    # No pip/setuptools of its own: the shared, pinned setuptools builds us.
    "$PYTHON" -m venv --without-pip .venv
    site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # addsitedir (not a bare path) so .pth files of the shared packages apply too.
    echo "import site; site.addsitedir('$deps')" > "$site/dilemma_mm_deps.pth"
    "$PYTHON" -m pip --python .venv/bin/python install --quiet --no-deps \
        --no-build-isolation -e .
    echo "$deps" > .venv/.deps
fi
(cd / && "$OLDPWD/.venv/bin/python" -c 'import dilemma_mm, torch, mmpretrain; print("[setup_env] ready:", "dilemma_mm", dilemma_mm.__version__, "torch", torch.__version__, "mmpretrain", mmpretrain.__version__)')
