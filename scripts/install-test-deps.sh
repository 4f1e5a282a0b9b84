#!/usr/bin/env bash
# Install what the tests need on a Debian bookworm machine with Node.js 20:
# the Debian packages whose programs the tests run or copy, and the npm
# dependencies. Safe to run again: it installs only what is missing.
#
# Debian packages are installed with a temporary /usr/sbin/policy-rc.d that
# forbids starting services, so installing openssh-server or auditd starts no
# daemon on this machine. Installing packages needs root; a run with nothing
# to install does not.
set -Eeuo pipefail
trap 'printf "install-test-deps: error: command failed (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

cd "$(dirname -- "$0")/.."

# debootstrap builds the Debian test tree. busybox-static and musl supply the
# Kimigayo test tree. The rest provide the real programs that tests run
# against generated files: sshd -t/-T, ssh-keygen, iptables-restore, nft,
# auditctl, modprobe, sysctl, findmnt, ip, grub-mkconfig, bwrap, hyperfine.
# The firewall packet tests send traffic between two network namespaces with
# socat (listeners), nc (connections), ping (echo) and scapy (scan packets).
PACKAGES=(
    debootstrap busybox-static musl openssh-server openssh-client iptables
    nftables auditd kmod procps util-linux iproute2 grub-common bubblewrap
    hyperfine python3-scapy netcat-openbsd socat iputils-ping
)
# Daemons that the packages above ship.
DAEMONS=(sshd auditd)
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=no

log() {
    printf 'install-test-deps: %s\n' "$*"
}

fail() {
    printf 'install-test-deps: error: %s\n' "$*" >&2
    exit 1
}

package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

daemon_pids() {
    local name
    for name in "${DAEMONS[@]}"; do
        pgrep -x "$name" || true
    done | sort
}

remove_policy() {
    if [ "$CREATED_POLICY" = yes ]; then
        rm -f -- "$POLICY"
        CREATED_POLICY=no
    fi
}

# Stop daemons that appeared during the install. Daemons that ran before it
# are left alone.
stop_new_daemons() {
    local before=$1 after pid
    after=$(daemon_pids)
    for pid in $(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after")); do
        log "stopping $(cat "/proc/$pid/comm" 2>/dev/null || echo process) (pid $pid), started by the install"
        kill "$pid" 2>/dev/null || true
    done
}

install_packages() {
    local missing=() package before
    for package in "${PACKAGES[@]}"; do
        package_installed "$package" || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "Debian packages present"
        return 0
    fi

    [ "$(id -u)" -eq 0 ] || fail "missing Debian packages: ${missing[*]}; run this script as root to install them"
    log "installing ${missing[*]}"

    # An existing policy-rc.d belongs to the administrator and stays as it is.
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\n# Installed by install-test-deps.sh while it runs apt-get.\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        CREATED_POLICY=yes
    fi
    trap remove_policy EXIT

    before=$(daemon_pids)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
    remove_policy
    stop_new_daemons "$before"
}

# Run npm ci when node_modules is missing or older than package-lock.json.
# node_modules/.package-lock.json is the file that npm writes on every install.
install_node_modules() {
    local marker=node_modules/.package-lock.json
    if [ -f "$marker" ] && [ ! package-lock.json -nt "$marker" ]; then
        log "node_modules up to date"
        return 0
    fi
    command -v npm >/dev/null || fail "npm not found; install Node.js 20"
    log "npm ci"
    npm ci --no-audit --no-fund
}

install_packages
install_node_modules
