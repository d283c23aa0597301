#!/usr/bin/env bash
# Makes this machine run arm64 Linux binaries, as `make e2e` needs to run
# the shipped packages (target/lambda/<function>/bootstrap.zip): Debian's
# qemu-user-static registers an aarch64 interpreter with the kernel's
# binfmt_misc, with the fix-binary flag (F), so containers use it too;
# libc6:arm64 gives the binaries run on the host itself the dynamic loader
# they ask for (docs/development.md#the-shipped-packages-under-emulation).
# Idempotent; fails with a clear message where the kernel cannot register
# an interpreter.
set -euo pipefail

registration=/proc/sys/fs/binfmt_misc/qemu-aarch64
fail() { echo "emulation: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
        || { as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
        fail "binfmt_misc is not mounted at /proc/sys/fs/binfmt_misc and cannot be (a container without the \
privilege to mount it?): run on a machine whose kernel can register an arm64 interpreter"
fi
if [ ! -e "$registration" ]; then
    echo "==> installing Debian's qemu-user-static and binfmt-support (the arm64 interpreter)"
    apt_install qemu-user-static binfmt-support
    as_root update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
[ -e "$registration" ] || fail "qemu-user-static is installed but no qemu-aarch64 interpreter is registered in \
/proc/sys/fs/binfmt_misc: the kernel refused it"
grep -q '^enabled' "$registration" || as_root sh -c "echo 1 > $registration"
grep -q '^flags:.*F' "$registration" ||
    fail "the qemu-aarch64 interpreter is registered without the fix-binary flag (F): containers could not use it"
if ! dpkg-query -W -f '${Status}' libc6:arm64 2>/dev/null | grep -q 'ok installed'; then
    echo "==> installing libc6:arm64 (the dynamic loader of arm64 binaries run on this machine)"
    dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
    as_root apt-get update -qq >/dev/null
    apt_install libc6:arm64
fi
echo "emulation: arm64 binaries run here (qemu-aarch64, flags $(sed -n 's/^flags: //p' "$registration"))"
