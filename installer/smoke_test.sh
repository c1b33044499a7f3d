#!/usr/bin/env bash
# Runs a frozen gvm-desktop as a workstation would, in a fresh HOME: exit 0 only if every step passed.
#
#   installer/smoke_test.sh [BINARY]     default: installer/dist/gvm-desktop/gvm-desktop; after the .deb: gvm-desktop
#
# 1. --version; 2. a demo vault of 50 synthetic people in a temp folder; 3. `log verify` on it as the demo
# auditor; 4. the GUI on it, offscreen, for GUI_SECONDS (default 5): still running at the end, no traceback.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:-$here/dist/gvm-desktop/gvm-desktop}"
gui_seconds="${GUI_SECONDS:-5}"
# The demo auditor's published password (gvm_desktop/core/demo_accounts.py; tests/installer checks they agree).
auditor="demo.auditor"
auditor_password="granite-meadow-audit-19"

started=$(date +%s)
scratch="$(mktemp -d "${TMPDIR:-/tmp}/gvm-smoke.XXXXXX")"
gui_pid=""
cleanup() {
    if [[ -n "$gui_pid" ]] && kill -0 "$gui_pid" 2>/dev/null; then
        kill -KILL "$gui_pid" 2>/dev/null
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# Nothing of the machine's user leaks in, and nothing of the test leaks out: a home of its own.
export HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/home/.config" XDG_DATA_HOME="$scratch/home/.local/share" \
       XDG_CACHE_HOME="$scratch/home/.cache" XDG_STATE_HOME="$scratch/home/.local/state" \
       XDG_RUNTIME_DIR="$scratch/runtime" TMPDIR="$scratch/tmp"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$TMPDIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
vault="$scratch/vault"
failures=0

fail() {
    echo "SMOKE FAIL: $1" >&2
    if [[ -n "${2:-}" && -s "$2" ]]; then sed 's/^/    /' "$2" >&2; fi
    failures=$((failures + 1))
}

step() {  # step NAME COMMAND...: runs it, stdout and stderr kept; a failure or a traceback fails the step
    local name="$1"; shift
    local t0=$(date +%s)
    if "$@" >"$scratch/out" 2>"$scratch/err"; then
        if grep -q "Traceback" "$scratch/err"; then
            fail "$name: traceback on stderr" "$scratch/err"
        else
            echo "ok   $name ($(( $(date +%s) - t0 )) s): $(head -n 1 "$scratch/out")"
        fi
    else
        fail "$name: exit $?" "$scratch/err"
    fi
}

if [[ ! -x "$binary" ]] && ! command -v "$binary" >/dev/null; then
    echo "SMOKE FAIL: no executable $binary (build it with installer/build_linux.sh)" >&2
    exit 1
fi

step "--version" "$binary" --version
grep -q "^gvm-desktop " "$scratch/out" || fail "--version printed no 'gvm-desktop <version>'" "$scratch/out"

step "demo --nominals 50" "$binary" demo --nominals 50 --vault "$vault"

step "log verify as $auditor" bash -c 'printf "%s\n" "$1" | "$2" log verify --vault "$3" --as "$4" --password-stdin' \
    _ "$auditor_password" "$binary" "$vault" "$auditor"

# The GUI: the sign-in window on the demo vault, drawn offscreen; it must still run when the time is up.
QT_QPA_PLATFORM=offscreen "$binary" --vault "$vault" >"$scratch/gui.out" 2>"$scratch/gui.err" &
gui_pid=$!
sleep "$gui_seconds"
if kill -0 "$gui_pid" 2>/dev/null; then
    kill -KILL "$gui_pid" 2>/dev/null
    wait "$gui_pid" 2>/dev/null
    gui_pid=""
    if grep -q "Traceback" "$scratch/gui.err"; then
        fail "GUI: traceback on stderr" "$scratch/gui.err"
    else
        echo "ok   GUI offscreen, still running after ${gui_seconds} s"
    fi
else
    wait "$gui_pid"
    fail "GUI: exited within ${gui_seconds} s (exit $?)" "$scratch/gui.err"
    gui_pid=""
fi

elapsed=$(( $(date +%s) - started ))
if (( failures > 0 )); then
    echo "smoke_test.sh: $failures step(s) failed ($elapsed s)" >&2
    exit 1
fi
echo "smoke_test.sh: all passed ($elapsed s)"
