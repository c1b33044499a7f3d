#!/usr/bin/env bash
# The Debian/Ubuntu packages gvm-desktop needs beside its Python wheels, installed only when missing,
# so a machine that has them pays nothing and needs no root. The README's two commands start with this.
#   bash scripts/system-packages.sh app    what the window needs (Qt's runtime libraries, X11's xcb ones)
#   bash scripts/system-packages.sh test   what the tests need as well (PDF checkers, a C compiler for the log walk)
set -euo pipefail

# Qt loads these even offscreen; PySide6's wheels bundle Qt itself but not them.
qt="libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3"
# A real window on an X11 desktop (Qt's xcb platform).
desktop="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0"
# qpdf and poppler-utils (pdfsig, pdftoppm) check every PDF the tests write; gcc with OpenSSL's and SQLite's
# headers builds the compiled log walk; python3-venv gives `python3 -m venv` on Debian; wixl and msitools build
# and read the Windows installer's MSI from its WiX source (tests/installer); postgresql's binaries (15 on
# Debian 12, pgcrypto included) run the throwaway TLS servers of the team server's tests (tests/server).
tests="qpdf poppler-utils gcc libc6-dev libssl-dev libsqlite3-dev python3-venv wixl msitools postgresql"

case "${1:-}" in
  app) wanted="$qt $desktop python3-venv" ;;
  test) wanted="$qt $tests" ;;
  *) echo "usage: bash scripts/system-packages.sh app|test" >&2; exit 2 ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
  echo "Not a Debian-family system: install the equivalents of: $wanted" >&2
  exit 0
fi
missing=""
for pkg in $wanted; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

echo "Installing Debian packages:$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Run as root or install sudo: apt-get install$missing" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
# shellcheck disable=SC2086  # the list is meant to split into words
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
