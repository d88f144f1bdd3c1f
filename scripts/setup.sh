#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Guestprep, then the npm packages.
# Idempotent: re-running it installs nothing new. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

# libguestfs and its appliance (built from the host kernel, hence linux-image-amd64), qemu-img for
# overlays and commits, qemu-system for the boot tests, debootstrap for the bootable test guests,
# hivex/ntfs-3g for Windows guests, xz-utils for .tar.xz archives, mingw-w64 to rebuild and check the Windows
# service wrapper, wine64 to test it, chromium for the end-to-end tests of the app, cryptsetup-bin for the
# encrypted sample disk of the hostile-input tests (libguestfs pulls it in too; named so it cannot go missing),
# squashfs-tools for sqfstar (the archives unpacked into read-only disks of the appliance; without it runs
# stream them, more slowly).
PACKAGES=(libguestfs-tools guestfs-tools qemu-utils qemu-system-x86 linux-image-amd64 libwin-hivex-perl ntfs-3g
  debootstrap xz-utils zstd ca-certificates make gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64
  binutils-mingw-w64-i686 wine wine64 chromium cryptsetup-bin squashfs-tools)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
  # An appliance cache built while apt was changing packages breaks every later launch (seen here):
  # drop it so libguestfs rebuilds it from the finished package set.
  rm -rf "/var/tmp/.guestfs-$(id -u)"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi
