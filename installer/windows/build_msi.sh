#!/usr/bin/env bash
# Builds gvm-desktop.msi with wixl (msitools) from a frozen Windows folder.
#
#   installer/windows/build_msi.sh PAYLOAD_DIR OUT.msi [VERSION]
#
# PAYLOAD_DIR is the folder PyInstaller made on Windows (gvm-desktop.exe, gvm-desktop-gui.exe, _internal\).
# On Linux it proves the WiX source valid against a stand-in folder with those names (tests/installer does).
# VERSION defaults to gvm_desktop.__version__ read from the tree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
payload="$(cd "${1:?payload folder}" && pwd)"
out="$(realpath -m "${2:?output .msi}")"
version="${3:-$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$here/../../gvm_desktop/__init__.py")}"

for name in gvm-desktop.exe gvm-desktop-gui.exe; do
    [[ -f "$payload/$name" ]] || { echo "build_msi.sh: $payload has no $name" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# wixl reads each File's Source relative to the .wxs's own folder (an absolute path fails): both sources
# and a link to the payload sit together in the work folder.
cp "$here/gvm-desktop.wxs" "$work/"
ln -s "$payload" "$work/payload"
cd "$work"
# The payload's component list, generated from the folder each time: never kept by hand.
find -L payload -type f | sort \
    | wixl-heat --var var.SourceDir --prefix payload/ --directory-ref INSTALLDIR --component-group CG.Payload --win64 \
    > payload.wxs
wixl --arch x64 -D SourceDir=payload -D Version="$version" -D Win64=yes -o "$out" gvm-desktop.wxs payload.wxs
echo "build_msi.sh: $out ($(du -h "$out" | cut -f1))"
