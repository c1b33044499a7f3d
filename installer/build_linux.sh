#!/usr/bin/env bash
# Builds the frozen Linux application: installer/dist/gvm-desktop/ (the folder), its `gvm-desktop` inside.
#
# A venv of its own (installer/build/venv), the project installed into it NOT editable (so the compiled
# log walk, store/_chainverify*.so, is built by gcc and sits in site-packages as on a real install), then
# PyInstaller over installer/gvm-desktop.spec. Run it again at will: the venv is reused, the project
# reinstalled from the tree, PyInstaller's work folder kept (a warm build), the output replaced.
#
#   PYTHON=python3.12 installer/build_linux.sh     a Python other than `python3` (3.11 or later, shared libpython)
set -euo pipefail

started=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
build="$here/build"
venv="$build/venv"
python="${PYTHON:-python3}"

"$python" - <<'EOF'
import sys, sysconfig
if sys.version_info < (3, 11):
    sys.exit(f"build_linux.sh: Python 3.11 or later is needed, {sys.executable} is {sys.version.split()[0]}")
if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
    sys.exit(f"build_linux.sh: PyInstaller needs a Python built with a shared libpython; {sys.executable} is not")
EOF

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements-build.txt"
# --force-reinstall of the project alone: the tree's code each time, its dependencies left as they are.
"$venv/bin/python" -m pip install --quiet "$repo"
"$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$repo"

if ! compgen -G "$venv/lib/python3*/site-packages/gvm_desktop/store/_chainverify*" >/dev/null; then
    echo "build_linux.sh: note: the compiled log walk was not built (no gcc or OpenSSL headers);" \
         "the frozen app verifies the log with the Python walk" >&2
fi

# Run from the work folder, not the tree: the tree's gvm_desktop/ must not shadow the installed one.
mkdir -p "$build/work"
cd "$build/work"
nice -n 10 "$venv/bin/pyinstaller" --noconfirm --log-level WARN \
    --workpath "$build/work" --distpath "$here/dist" "$here/gvm-desktop.spec"

frozen="$here/dist/gvm-desktop"
"$frozen/gvm-desktop" --version
echo "frozen folder: $frozen ($(du -sh "$frozen" | cut -f1))"
echo "build_linux.sh: $(( $(date +%s) - started )) s"
