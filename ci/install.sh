#!/bin/sh
# Install template-registry from this folder into a new virtualenv VENV, for a CI job:
# every dependency pinned with its hashes (requirements/sync.txt, `make lock`), the tool
# itself built from these files with the pinned build backend. The base and the `sync`
# extra only: no server, no development tools in the job that holds the API key.
# A second call with the same folder and lock keeps the existing install.
#
#   sh ci/install.sh VENV        (PYTHON picks the interpreter; default python3)
set -eu

venv=${1:?usage: install.sh VENV}
here=$(cd "$(dirname "$0")/.." && pwd)
lock="$here/requirements/sync.txt"
stamp="$venv/.template-registry-installed"
# What the install is made from: this folder, the lock and the tool's own files.
want="$here $(cd "$here" && find pyproject.toml requirements registry validators -type f \
    -name '*.py' -o -type f -name '*.toml' -o -type f -name '*.txt' | LC_ALL=C sort \
    | xargs cat | cksum)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "template-registry is already installed in $venv"
    exit 0
fi
"${PYTHON:-python3}" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --only-binary :all: -r "$lock"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --no-deps --no-build-isolation --no-index "$here"
echo "$want" > "$stamp"
"$venv/bin/template-registry" --version
