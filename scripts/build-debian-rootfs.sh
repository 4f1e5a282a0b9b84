#!/usr/bin/env bash
# Build a Debian bookworm root file system for the tests: minbase from
# debootstrap, then OpenRC as the init system plus the programs whose
# configuration kimigayo-harden audits.
#
# Usage: scripts/build-debian-rootfs.sh [--check] [DEST]
#   DEST defaults to $KH_CACHE_DIR/rootfs/debian-bookworm, where KH_CACHE_DIR
#   defaults to /var/cache/kimigayo-harden. KH_DEBIAN_MIRROR overrides the
#   mirror read from this machine's APT sources.
#   --check builds nothing: it exits 0 when DEST is up to date and 1 otherwise.
#
# The tree is built in a temporary directory beside DEST and renamed into
# place only when complete. A lock file .NAME.lock beside DEST keeps two runs
# from building at once. DEST/.kh-rootfs-version records the build recipe,
# so a run with an up-to-date DEST does nothing, and a change to PACKAGES or
# BUILD_REVISION rebuilds it. Must run as root: debootstrap and chroot need it.
set -Eeuo pipefail
trap 'printf "%s: error: command failed (exit %s) at line %s: %s\n" "build-debian-rootfs" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

SUITE=bookworm
# sysvinit-core provides /sbin/init and /etc/inittab, and with openrc
# installed it uses OpenRC as its rc system instead of sysv-rc.
PACKAGES=(sysvinit-core openrc openssh-server iptables auditd kmod procps busybox grub-common)
# Raise this when the steps below change in a way that alters the tree.
BUILD_REVISION=1
STAMP_NAME=.kh-rootfs-version
# The build directory that the EXIT trap removes when a build fails.
BUILD_DIR=

log() {
    printf 'build-debian-rootfs: %s\n' "$*"
}

fail() {
    printf 'build-debian-rootfs: error: %s\n' "$*" >&2
    exit 1
}

expected_stamp() {
    printf 'suite=%s\nrevision=%s\npackages=%s\n' "$SUITE" "$BUILD_REVISION" "${PACKAGES[*]}"
}

# Print the first Debian archive URI (not the security archive) found in the
# APT sources, in both the deb822 and the one-line format.
find_mirror() {
    local files=() uri
    shopt -s nullglob
    files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list)
    shopt -u nullglob
    if [ "${#files[@]}" -gt 0 ]; then
        uri=$(awk '
            /^[[:space:]]*#/ { next }
            $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i; next }
            $1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }
        ' "${files[@]}" 2>/dev/null | grep -E '^https?://[^[:space:]]+/debian/?$' | head -n 1 || true)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Fail unless nothing is mounted at or below $1, so that rm -rf can never
# reach into a mounted /proc or a bind mount.
assert_nothing_mounted_below() {
    local dir=$1
    if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        fail "something is still mounted below $dir; unmount it and remove the directory by hand"
    fi
}

remove_build_dir() {
    local dir=$1
    [ -e "$dir" ] || return 0
    assert_nothing_mounted_below "$dir"
    rm -rf -- "$dir"
}

# Runs inside a private mount and PID namespace (see build_tree), so every
# mount made here disappears with the namespace, and a daemon that a package
# script might start anyway is killed when this function returns.
stage_in_namespace() {
    local tree=$1 mirror=$2

    log "debootstrap --variant=minbase $SUITE from $mirror"
    debootstrap --variant=minbase "$SUITE" "$tree" "$mirror"

    # invoke-rc.d runs policy-rc.d before it starts a service, and exit code
    # 101 forbids every action, so no package script starts a daemon.
    printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"
    chmod 755 "$tree/usr/sbin/policy-rc.d"

    # Maintainer scripts run as on a booted system, where /proc is mounted.
    # The namespace drops this mount even when a step below fails.
    mount -t proc proc "$tree/proc"
    log "apt-get install ${PACKAGES[*]}"
    chroot "$tree" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
        apt-get -o Dpkg::Use-Pty=0 update
    chroot "$tree" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
        apt-get -o Dpkg::Use-Pty=0 install -y --no-install-recommends "${PACKAGES[@]}"
    umount "$tree/proc"

    rm -f "$tree/usr/sbin/policy-rc.d"
}

# Drop what only the build needed: APT caches and lists, and the host's own
# resolver and host name that debootstrap copied in.
trim_tree() {
    local tree=$1
    log "removing APT caches"
    chroot "$tree" apt-get clean
    rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin
    mkdir -p "$tree/var/lib/apt/lists/partial"
    rm -f "$tree/etc/resolv.conf"
    printf 'debian-bookworm\n' >"$tree/etc/hostname"
}

check_tree() {
    local tree=$1 path
    for path in /sbin/init /sbin/openrc /usr/sbin/sshd /usr/sbin/iptables /sbin/auditctl \
        /sbin/modprobe /usr/sbin/sysctl /bin/busybox /usr/sbin/grub-mkconfig /etc/ssh/sshd_config; do
        [ -e "$tree$path" ] || [ -L "$tree$path" ] || fail "the built tree has no $path"
    done

    # Debian's openrc package ships some runlevel directories and its postinst
    # fills them. The tool reads them, so their absence means the install failed.
    [ -d "$tree/etc/runlevels" ] || fail "the built tree has no /etc/runlevels"
}

build_tree() {
    local dest=$1 parent name tmp old mirror
    parent=$(dirname -- "$dest")
    name=$(basename -- "$dest")
    mkdir -p -- "$parent"
    parent=$(cd -- "$parent" && pwd -P)
    dest=$parent/$name

    # A lock keeps two concurrent runs from building into the same place.
    exec 9>"$parent/.$name.lock"
    flock 9
    if [ -f "$dest/$STAMP_NAME" ] && [ "$(cat -- "$dest/$STAMP_NAME")" = "$(expected_stamp)" ]; then
        log "$dest is up to date (built by a concurrent run)"
        return 0
    fi

    local stale
    for stale in "$parent/.$name.tmp."* "$parent/.$name.old."*; do
        [ -e "$stale" ] || continue
        log "removing leftover $stale"
        remove_build_dir "$stale"
    done

    tmp=$parent/.$name.tmp.$$
    old=$parent/.$name.old.$$
    BUILD_DIR=$tmp
    trap 'remove_build_dir "$BUILD_DIR"' EXIT
    mkdir -- "$tmp"

    mirror=${KH_DEBIAN_MIRROR:-$(find_mirror)}
    local started=$SECONDS
    unshare --mount --pid --fork --propagation private -- \
        env KH_ROOTFS_STAGE=namespace bash "$0" "$tmp" "$mirror"
    assert_nothing_mounted_below "$tmp"

    trim_tree "$tmp"
    check_tree "$tmp"
    expected_stamp >"$tmp/$STAMP_NAME"

    if [ -e "$dest" ]; then
        mv -- "$dest" "$old"
    fi
    mv -- "$tmp" "$dest"
    trap - EXIT
    remove_build_dir "$old"
    log "built $dest in $((SECONDS - started)) s ($(du -sh -- "$dest" | cut -f1))"
}

main() {
    if [ "${KH_ROOTFS_STAGE:-}" = namespace ]; then
        stage_in_namespace "$1" "$2"
        return
    fi

    local check=no
    if [ "${1:-}" = --check ]; then
        check=yes
        shift
    fi
    local cache=${KH_CACHE_DIR:-/var/cache/kimigayo-harden}
    local dest=${1:-$cache/rootfs/debian-$SUITE}

    # The up-to-date check comes first and needs neither root nor a lock, so
    # a run with the cache present returns at once.
    if [ -f "$dest/$STAMP_NAME" ] && [ "$(cat -- "$dest/$STAMP_NAME")" = "$(expected_stamp)" ]; then
        log "$dest is up to date"
        return 0
    fi
    if [ "$check" = yes ]; then
        log "$dest is missing or out of date"
        exit 1
    fi

    [ "$(id -u)" -eq 0 ] || fail "building $dest needs root (debootstrap and chroot); run this script as root"
    local tool
    for tool in debootstrap unshare flock chroot; do
        command -v "$tool" >/dev/null || fail "$tool not found; run scripts/install-test-deps.sh as root"
    done

    log "building $dest"
    build_tree "$dest"
}

main "$@"
