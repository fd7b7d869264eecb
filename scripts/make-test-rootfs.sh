#!/usr/bin/env bash
# Builds a minimal Debian 12 root (debootstrap --variant=minbase) with only the run-time packages
# README.md's "Deploy" section lists, into .build/test-rootfs/bookworm. Tests/system/
# test_deploy_dist.py then runs the unpacked release binary in it with chroot (and skips, saying
# so, while it does not exist). About 3-5 minutes and 250 MB; needs root and the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
root=.build/test-rootfs/bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
[ "$(id -u)" = 0 ] || { echo "make-test-rootfs.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
packages=$(sed -n 's/^- Debian\/Ubuntu packages: //p' README.md | grep -o '`[^`]*`' | tr -d '`' | tr '\n' ' ')
[ -n "$packages" ] || { echo "make-test-rootfs.sh: no package line in README.md's Deploy section" >&2; exit 1; }
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase bookworm "$root.tmp" "$mirror"
# shellcheck disable=SC2086  # a list of package names
DEBIAN_FRONTEND=noninteractive chroot "$root.tmp" apt-get install -y -q --no-install-recommends $packages
chroot "$root.tmp" apt-get clean
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root: minbase + $packages"
