#!/usr/bin/env bash
# Builds the wheel with the server's engine and storage compiled by mypyc
# (mock_server/compile_hook.py) and installs it, with the server and dev extras, into a venv
# of its own: .venv-compiled, or the directory given. CI runs the server's tests there; the
# benchmarks run there to measure the compiled build. Takes about three minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv="${1:-.venv-compiled}"
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT

python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
HATCH_BUILD_HOOKS_ENABLE=1 "$venv/bin/pip" wheel -q --no-deps -w "$wheels" .
wheel="$(ls "$wheels"/questline-*.whl)"
"$venv/bin/pip" install -q --force-reinstall "$wheel[server,dev]"

# The build is what it claims: the engine's modules load from extension modules.
"$venv/bin/python" - <<'EOF'
import importlib.machinery as machinery
import questline_mock.engine.rules as rules
import questline_mock.storage.sqlite as sqlite

for module in (rules, sqlite):
    assert module.__file__.endswith(tuple(machinery.EXTENSION_SUFFIXES)), module.__file__
print(f"compiled build installed in {__import__('sys').prefix}")
EOF
