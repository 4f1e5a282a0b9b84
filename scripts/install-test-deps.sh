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
# auditctl, ausyscall, modprobe, sysctl, findmnt, ip, grub-mkconfig,
# grub-mkpasswd-pbkdf2, bwrap, hyperfine, openssl passwd, docker-compose config,
# GNU find (the scan tests compare with it), setpriv and unshare.
# gcc and libc6-dev build the seccomp test probe. The seccomp package supplies
# libseccomp's scmp_sys_resolver, against which the system call tables are
# checked. cpp and the linux-libc-dev packages regenerate those tables from the
# kernel headers. The firewall packet tests send traffic between two network
# namespaces with socat and nc (connections), ping (echo) and python3-scapy
# (scan packets, and the UDP echo server).
PACKAGES=(
    debootstrap busybox-static musl openssh-server openssh-client iptables
    nftables auditd kmod procps util-linux iproute2 grub-common bubblewrap
    hyperfine openssl docker-compose findutils gcc libc6-dev seccomp cpp
    linux-libc-dev linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross
    python3-scapy netcat-openbsd socat iputils-ping
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

# The Docker tests run the docker CLI (option parsing, `run --help`) and read
# dockerd's help and Debian's docker.service. Installing docker.io would
# register a daemon and pull in containerd, so the package is only unpacked
# into a cache directory: nothing is installed and no daemon can start.
DOCKER_DIR=/var/cache/kimigayo-harden/docker.io

unpack_docker() {
    local work deb
    if [ -x "$DOCKER_DIR/usr/bin/docker" ] && [ -x "$DOCKER_DIR/usr/sbin/dockerd" ]; then
        log "docker.io unpacked in $DOCKER_DIR"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || fail "docker.io is not unpacked in $DOCKER_DIR; run this script as root to unpack it"
    work=$(mktemp -d /tmp/kh-docker-io.XXXXXX)
    log "unpacking docker.io into $DOCKER_DIR"
    # apt-get download writes as the _apt user when it can; a private
    # directory only root can write to makes it fall back to root quietly.
    (cd "$work" && apt-get download docker.io 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(find "$work" -maxdepth 1 -name 'docker.io_*.deb' | head -n 1)
    [ -n "$deb" ] || { rm -rf -- "$work"; fail "apt-get download docker.io fetched nothing; run apt-get update first"; }
    rm -rf -- "$DOCKER_DIR.tmp"
    mkdir -p "$DOCKER_DIR.tmp"
    dpkg-deb -x "$deb" "$DOCKER_DIR.tmp"
    rm -rf -- "$DOCKER_DIR" "$work"
    mv -- "$DOCKER_DIR.tmp" "$DOCKER_DIR"
}

install_packages
unpack_docker
install_node_modules
