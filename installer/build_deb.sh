#!/usr/bin/env bash
# Builds installer/dist/gvm-desktop_VERSION_ARCH.deb from the frozen folder build_linux.sh made.
#
#   /opt/gvm-desktop/                        the frozen folder, read-only for users
#   /usr/bin/gvm-desktop                     a link to /opt/gvm-desktop/gvm-desktop
#   /usr/share/applications/gvm-desktop.desktop, /usr/share/icons/hicolor/*/apps/gvm-desktop.*
#   /usr/share/doc/gvm-desktop/              copyright, and policy.example.toml: an EXAMPLE, never installed
#                                            into /etc (the workstation's administrator writes that file)
#
# Depends: the system libraries the frozen folder still loads from the system (libc, the OpenGL/EGL
# dispatchers, libxcb, Wayland's client, libdrm): found with ldd over every ELF file in the folder,
# each mapped to its package with dpkg -S on this machine. PyInstaller bundles the rest (Qt, xkbcommon,
# fontconfig, glib, dbus, the xcb-* helpers). Recommends (debian/control.in): fontconfig's configuration
# and a font (without them the bundled fontconfig says so on stderr; the app still draws with the fonts it
# carries) and the Wayland libraries Qt's Wayland plugin loads (without them Qt uses XWayland's xcb).
set -euo pipefail

started=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
frozen="$here/dist/gvm-desktop"
[[ -x "$frozen/gvm-desktop" ]] || { echo "build_deb.sh: no $frozen/gvm-desktop: run installer/build_linux.sh first" >&2; exit 1; }

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$repo/gvm_desktop/__init__.py")"
arch="$(dpkg --print-architecture)"
out="$here/dist/gvm-desktop_${version}_${arch}.deb"
# The estate that builds and signs its own package names itself here.
maintainer="${DEB_MAINTAINER:-gvm-desktop maintainers <gvm-desktop@localhost>}"

# The GL and EGL libraries are the machine's own (its graphics driver's), never bundled: they are listed
# whatever ldd says, as are the ones the platform plugins load.
baseline=(libc6 libgl1 libegl1 libxcb1)

system_packages() {
    local lib path
    find "$frozen" -type f \( -name '*.so*' -o -name gvm-desktop \) -print0 \
        | xargs -0 env LD_LIBRARY_PATH="$frozen/_internal:$frozen/_internal/PySide6/Qt/lib" ldd 2>/dev/null \
        | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u \
        | while read -r path; do
            [[ "$path" == "$frozen"* ]] && continue
            lib="$(realpath "$path")"
            # usrmerge: dpkg may know a file under /usr/lib or /lib, whichever way ldd printed it.
            dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null \
                || echo "build_deb.sh: note: no package owns $lib" >&2
        done | cut -d: -f1 | sort -u
}

# The newest glibc symbol version the folder asks for: the oldest libc6 it runs on.
glibc_needed="$(find "$frozen" -type f \( -name '*.so*' -o -name gvm-desktop \) -print0 \
    | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -u -V | tail -n 1 | sed 's/GLIBC_//')"

mapfile -t found < <(system_packages)
depends=""
for package in $(printf '%s\n' "${baseline[@]}" "${found[@]}" | sort -u); do
    if [[ "$package" == libc6 && -n "$glibc_needed" ]]; then
        package="libc6 (>= $glibc_needed)"
    fi
    depends="${depends:+$depends, }$package"
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
install -d "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/doc/gvm-desktop"
cp -a "$frozen" "$root/opt/gvm-desktop"
ln -s /opt/gvm-desktop/gvm-desktop "$root/usr/bin/gvm-desktop"
install -m 644 "$repo/resources/gvm-desktop.desktop" "$root/usr/share/applications/gvm-desktop.desktop"
for size in 48 128 256; do
    install -D -m 644 "$repo/resources/gvm-desktop-$size.png" "$root/usr/share/icons/hicolor/${size}x${size}/apps/gvm-desktop.png"
done
install -D -m 644 "$repo/resources/gvm-desktop.svg" "$root/usr/share/icons/hicolor/scalable/apps/gvm-desktop.svg"
install -m 644 "$repo/resources/policy.example.toml" "$root/usr/share/doc/gvm-desktop/policy.example.toml"
install -m 644 "$here/debian/copyright" "$root/usr/share/doc/gvm-desktop/copyright"

# Users read and run, nobody but root writes: whatever the build machine's umask was. Shared libraries
# need no execute bit (lintian's shared-library-is-executable); the executable keeps its own.
chmod -R u+rwX,go+rX,go-w "$root"
find "$root/opt/gvm-desktop/_internal" -type f -name '*.so*' -exec chmod 644 {} +
printf '%s\n' "gvm-desktop ($version) unstable; urgency=medium" "" \
    "  * Built by installer/build_deb.sh; the history is the git log." "" \
    " -- $maintainer  $(date -R)" | gzip -9n > "$root/usr/share/doc/gvm-desktop/changelog.gz"
chmod 644 "$root/usr/share/doc/gvm-desktop/changelog.gz"

installed_kb="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kb/" -e "s/@DEPENDS@/$depends/" \
    -e "s|@MAINTAINER@|$maintainer|" \
    "$here/debian/control.in" > "$root/DEBIAN/control"

# --root-owner-group: every file root's, without fakeroot. xz shrinks the folder to under a third and
# takes most of the script's time; DEB_COMPRESS=gzip for a quick package (a CI run, a trial).
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$out" >/dev/null
echo "Depends: $depends"
echo "build_deb.sh: $out ($(du -h "$out" | cut -f1)) in $(( $(date +%s) - started )) s"
