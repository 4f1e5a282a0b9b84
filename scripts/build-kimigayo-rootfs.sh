#!/usr/bin/env bash
# Assemble a root file system laid out like a Kimigayo OS 2.0.1 image (minimal
# variant) for the tests. The real image cannot be downloaded here, so this
# script rebuilds it from the published facts about the image. It has an
# Alpine-style layout with a static BusyBox, musl's dynamic loader, OpenRC
# started from BusyBox init and a performance sysctl file. It has no sshd,
# iptables, auditd, bootloader, kernel modules or package manager.
#
# Usage: scripts/build-kimigayo-rootfs.sh [--check] [DEST]
#   DEST defaults to $KH_CACHE_DIR/rootfs/kimigayo, where KH_CACHE_DIR
#   defaults to /var/cache/kimigayo-harden.
#   --check builds nothing: it exits 0 when DEST is up to date and 1 otherwise.
#
# BusyBox comes from Debian's busybox-static package and the musl loader from
# Debian's musl package: the installed files when the package is installed,
# otherwise from a .deb fetched with `apt-get download` and kept in
# $KH_CACHE_DIR/debs. The tree is built beside DEST and renamed into place
# when complete. DEST/.kh-rootfs-version holds the SHA-256 of this script, so
# any change to the script rebuilds the tree. All files are owned by root when
# run as root, and by the calling user otherwise.
set -Eeuo pipefail
trap 'printf "%s: error: command failed (exit %s) at line %s: %s\n" "build-kimigayo-rootfs" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

STAMP_NAME=.kh-rootfs-version
# The build directory that the EXIT trap removes when a build fails.
BUILD_DIR=
SCRIPT_PATH=$(cd -- "$(dirname -- "$0")" && pwd -P)/$(basename -- "$0")

log() {
    printf 'build-kimigayo-rootfs: %s\n' "$*"
}

fail() {
    printf 'build-kimigayo-rootfs: error: %s\n' "$*" >&2
    exit 1
}

expected_stamp() {
    printf 'script-sha256=%s\n' "$(sha256sum <"$SCRIPT_PATH" | cut -d' ' -f1)"
}

package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Print the path of a directory holding the unpacked files of Debian package
# $1: / when it is installed here, otherwise the .deb extracted below $2.
package_root() {
    local package=$1 scratch=$2 debs deb
    if package_installed "$package"; then
        printf '/\n'
        return
    fi

    debs=${KH_CACHE_DIR:-/var/cache/kimigayo-harden}/debs
    mkdir -p -- "$debs"
    deb=$(find "$debs" -maxdepth 1 -name "${package}_*.deb" | sort | tail -n 1)
    if [ -z "$deb" ]; then
        log "apt-get download $package" >&2
        # The cache directory belongs to root, so APT's unprivileged _apt
        # user could not write there.
        (cd -- "$debs" && apt-get -o APT::Sandbox::User=root download "$package" >&2) ||
            fail "apt-get download $package failed; run 'apt-get update' as root, or install $package"
        deb=$(find "$debs" -maxdepth 1 -name "${package}_*.deb" | sort | tail -n 1)
    fi
    mkdir -p -- "$scratch/$package"
    dpkg-deb -x "$deb" "$scratch/$package"
    printf '%s\n' "$scratch/$package"
}

# Write stdin to $tree/$2 with mode $1.
put() {
    local mode=$1 path=$TREE/$2
    mkdir -p -- "$(dirname -- "$path")"
    cat >"$path"
    chmod "$mode" -- "$path"
}

make_directories() {
    local dir
    for dir in bin sbin lib usr/bin usr/sbin usr/lib usr/local/bin usr/share \
        etc/init.d etc/conf.d etc/sysctl.d etc/profile.d etc/network etc/opt \
        dev proc sys run home media mnt opt srv \
        var/cache var/empty var/lib var/local var/log var/mail var/opt var/spool; do
        mkdir -p -- "$TREE/$dir"
    done
    for dir in etc/runlevels/sysinit etc/runlevels/boot etc/runlevels/default \
        etc/runlevels/nonetwork etc/runlevels/shutdown; do
        mkdir -p -- "$TREE/$dir"
    done

    mkdir -p -- "$TREE/tmp" "$TREE/var/tmp" "$TREE/root"
    chmod 1777 "$TREE/tmp" "$TREE/var/tmp"
    chmod 700 "$TREE/root"
    ln -s /run "$TREE/var/run"
    ln -s /run/lock "$TREE/var/lock"
}

# Applets linked into the tree: the everyday ones of a minimal image. The
# minimal variant has no stat, md5sum or sha256sum, and the image has no
# syslog, so those applets are left out on purpose.
APPLETS=(
    sh ash ls cat cp mv rm ln mkdir rmdir chmod chown chgrp touch dd df
    mount umount ps kill pidof sleep sync date dmesg echo false true pwd
    hostname uname grep egrep fgrep sed vi more mktemp readlink printf
    gzip gunzip zcat tar ping ping6 netstat login su watch mknod
    sysctl modprobe insmod rmmod lsmod modinfo depmod init halt poweroff
    reboot getty mdev ifconfig route ip swapon swapoff losetup hwclock
    sulogin switch_root mkswap nologin
    find awk env id head tail wc sort uniq tr cut xargs which whoami less
    expr test '[' '[[' basename dirname du free top uptime nproc diff cmp seq
    tee nslookup wget nc timeout realpath clear passwd groups logger
    chroot
)
# Alpine keeps nologin in /sbin, where the nobody entry of /etc/passwd
# points; BusyBox's own default is /usr/sbin.
declare -A APPLET_DIR_OVERRIDE=([nologin]=sbin)

install_busybox() {
    local root=$1 applet dir entry
    install -m 0755 -- "$root/bin/busybox" "$TREE/bin/busybox"

    # The binary is static, so it runs here and reports where its applets
    # belong (bin, sbin, usr/bin or usr/sbin).
    declare -A applet_dir=()
    while IFS= read -r entry; do
        applet_dir[${entry##*/}]=${entry%/*}
    done < <("$TREE/bin/busybox" --list-full)

    for applet in "${APPLETS[@]}"; do
        dir=${APPLET_DIR_OVERRIDE[$applet]:-${applet_dir[$applet]:-}}
        if [ -z "$dir" ]; then
            fail "this BusyBox has no applet '$applet'; remove it from APPLETS"
        fi
        ln -s /bin/busybox "$TREE/$dir/$applet"
    done
    log "linked ${#APPLETS[@]} BusyBox applets"
}

# Alpine installs musl's dynamic loader as /lib/ld-musl-<arch>.so.1, with
# libc.musl-<arch>.so.1 pointing to it.
install_musl() {
    local root=$1 arch loader
    arch=$(uname -m)
    loader=$(find "$root/lib/" "$root/usr/lib/" -path "*-linux-musl/libc.so" -type f 2>/dev/null | head -n 1 || true)
    [ -n "$loader" ] || fail "no musl libc.so found in the musl package"
    install -m 0755 -- "$loader" "$TREE/lib/ld-musl-$arch.so.1"
    ln -s "ld-musl-$arch.so.1" "$TREE/lib/libc.musl-$arch.so.1"
}

write_identity() {
    put 644 etc/os-release <<'EOF'
NAME="Kimigayo OS"
ID=kimigayo
ID_LIKE=alpine
VERSION_ID=2.0.1
PRETTY_NAME="Kimigayo OS v2.0.1"
HOME_URL="https://github.com/Kazuki-0731/Kimigayo"
EOF
    put 644 etc/hostname <<<'kimigayo'
    put 644 etc/hosts <<'EOF'
127.0.0.1	localhost localhost.localdomain
::1		localhost localhost.localdomain
EOF
    put 644 etc/issue <<'EOF'
Welcome to Kimigayo OS 2.0.1
Kernel \r on an \m (\l)

EOF
    put 644 etc/motd <<'EOF'
Welcome to Kimigayo OS.
EOF
    put 644 etc/shells <<'EOF'
# valid login shells
/bin/sh
/bin/ash
EOF
}

write_accounts() {
    put 644 etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/:/sbin/nologin
EOF
    put 600 etc/shadow <<'EOF'
root:*::0:::::
nobody:*::0:::::
EOF
    # tty (gid 5) owns the pseudo-terminals that devpts creates (see fstab).
    put 644 etc/group <<'EOF'
root:x:0:root
tty:x:5:
nobody:x:65534:
EOF
    put 644 etc/profile <<'EOF'
export CHARSET=UTF-8
export LANG=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PAGER=less
export PS1='\h:\w\$ '
umask 022

for script in /etc/profile.d/*.sh; do
	if [ -r "$script" ]; then
		. "$script"
	fi
done
unset script
EOF
}

write_mounts() {
    put 644 etc/fstab <<'EOF'
# /etc/fstab: static file system information
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
proc		/proc		proc	defaults	0	0
sysfs		/sys		sysfs	defaults	0	0
devpts		/dev/pts	devpts	gid=5,mode=620	0	0
tmpfs		/run		tmpfs	defaults	0	0
tmpfs		/tmp		tmpfs	defaults	0	0
EOF
}

write_sysctl() {
    # The image ships this file and no /etc/sysctl.conf. Its
    # tcp_timestamps = 1 conflicts with the hardening guide, which sets 0.
    put 644 etc/sysctl.d/99-kimigayo-performance.conf <<'EOF'
# Kimigayo OS performance tuning

# Keep anonymous memory in RAM
vm.swappiness = 0
vm.dirty_ratio = 10
vm.dirty_background_ratio = 5

# Network throughput
net.core.somaxconn = 4096
net.core.netdev_max_backlog = 4096
net.ipv4.tcp_max_syn_backlog = 4096
net.ipv4.tcp_fin_timeout = 15
net.ipv4.tcp_tw_reuse = 1
net.ipv4.ip_local_port_range = 1024 65535
net.ipv4.tcp_syncookies = 1
net.ipv4.tcp_timestamps = 1

# Security defaults
kernel.randomize_va_space = 2
fs.suid_dumpable = 0
EOF
}

write_init() {
    put 644 etc/inittab <<'EOF'
# /etc/inittab for BusyBox init

::sysinit:/sbin/openrc sysinit
::sysinit:/sbin/openrc boot
::wait:/sbin/openrc default

# A getty on the console
console::respawn:/sbin/getty 38400 console

::ctrlaltdel:/sbin/reboot
::shutdown:/sbin/openrc shutdown
EOF
    put 644 etc/rc.conf <<'EOF'
# Global OpenRC configuration

# Start services in parallel
rc_parallel="YES"

# Do not ask before starting each service
rc_interactive="NO"

# Fail a service whose "need" dependency is missing
rc_depend_strict="YES"

# Do not log service output to /var/log/rc.log
rc_logger="NO"

# Empty: OpenRC detects whether it runs in a container or a VM
rc_sys=""

unicode="YES"
EOF

    # These two stand in for OpenRC's binaries, which the tests never run:
    # they exist so that the shebang of every init script and the commands
    # in /etc/inittab point to executables, as on the real image.
    put 755 sbin/openrc <<'EOF'
#!/bin/sh
# Placeholder for OpenRC's openrc binary in a test tree.
echo "openrc: placeholder in a test tree; runlevel ${1:-default} not started" >&2
exit 1
EOF
    put 755 sbin/openrc-run <<'EOF'
#!/bin/sh
# Placeholder for OpenRC's openrc-run binary in a test tree.
echo "openrc-run: placeholder in a test tree; $1 ${2:-} not run" >&2
exit 1
EOF
}

write_init_scripts() {
    put 755 etc/init.d/devfs <<'EOF'
#!/sbin/openrc-run

description="Mount /dev and its standard symlinks"

depend() {
	provide dev-mount
	keyword -docker -lxc -prefix -systemd-nspawn -vserver
}

start() {
	ebegin "Mounting /dev"
	mountpoint -q /dev || mount -n -t devtmpfs -o exec,nosuid,mode=0755,size=10M devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mountpoint -q /dev/pts || mount -n -t devpts -o gid=5,mode=0620 devpts /dev/pts
	mountpoint -q /dev/shm || mount -n -t tmpfs -o nodev,nosuid,noexec shm /dev/shm
	eend $?
}
EOF
    put 755 etc/init.d/dmesg <<'EOF'
#!/sbin/openrc-run

description="Set the kernel console log level"

depend() {
	before dev
	keyword -docker -lxc -prefix -systemd-nspawn -vserver
}

start() {
	if [ -n "$dmesg_level" ]; then
		dmesg -n "$dmesg_level"
	fi
}
EOF
    put 755 etc/init.d/mdev <<'EOF'
#!/sbin/openrc-run

description="Populate /dev with BusyBox mdev"

depend() {
	provide dev
	need dev-mount
	keyword -docker -lxc -prefix -systemd-nspawn -vserver
}

start() {
	ebegin "Starting mdev"
	echo /sbin/mdev > /proc/sys/kernel/hotplug
	mdev -s
	eend $?
}
EOF
    put 755 etc/init.d/hostname <<'EOF'
#!/sbin/openrc-run

description="Set the host name from /etc/hostname"

depend() {
	keyword -docker -lxc -prefix -systemd-nspawn
}

start() {
	local name="${hostname:-}"
	if [ -z "$name" ] && [ -s /etc/hostname ]; then
		read -r name < /etc/hostname
	fi
	ebegin "Setting hostname to ${name:-localhost}"
	hostname "${name:-localhost}"
	eend $?
}
EOF
    put 755 etc/init.d/localmount <<'EOF'
#!/sbin/openrc-run

description="Mount the local file systems listed in /etc/fstab"

depend() {
	need fsck
	use lvm modules
	after clock lvm modules
	keyword -docker -lxc -prefix -systemd-nspawn -vserver
}

start() {
	ebegin "Mounting local filesystems"
	mount -a -t nonfs,nfs4,smbfs,cifs,ncpfs,coda,sshfs,fuse.sshfs
	eend $?
}

stop() {
	ebegin "Unmounting local filesystems"
	sync
	eend 0
}
EOF
    put 755 etc/init.d/bootmisc <<'EOF'
#!/sbin/openrc-run

description="Clean up /tmp and /run and create boot-time files"

depend() {
	need localmount
	before logger
	after clock root sysctl
	keyword -prefix -timeout
}

start() {
	if yesno "${wipe_tmp:-YES}"; then
		ebegin "Cleaning /tmp"
		find /tmp -mindepth 1 -xdev -delete 2>/dev/null
		eend 0
	fi
	mkdir -p /run/lock
	chmod 1777 /tmp /var/tmp
}
EOF
    # BusyBox sysctl exits 0 even when a write fails, so failures are found
    # by reading its output for error lines.
    put 755 etc/init.d/sysctl <<'EOF'
#!/sbin/openrc-run

description="Set kernel parameters from sysctl.d and /etc/sysctl.conf"

depend() {
	before bootmisc logger
	keyword -prefix -systemd-nspawn -vserver
}

start() {
	if grep -Eq '^[^ ]+ /proc/sys [^ ]+ ro[, ]' /proc/mounts; then
		einfo "/proc/sys is read-only: the host manages kernel parameters, skipping"
		return 0
	fi

	ebegin "Configuring kernel parameters"
	local dir conf output failed=0
	for dir in /run/sysctl.d /etc/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
		for conf in "$dir"/*.conf; do
			[ -r "$conf" ] || continue
			output=$(sysctl -p "$conf" 2>&1)
			case "$output" in
			*"sysctl: "*) failed=1; ewarn "$output" ;;
			esac
		done
	done
	if [ -r /etc/sysctl.conf ]; then
		output=$(sysctl -p /etc/sysctl.conf 2>&1)
		case "$output" in
		*"sysctl: "*) failed=1; ewarn "$output" ;;
		esac
	fi
	eend $failed "Some kernel parameters could not be set"
}
EOF
    put 755 etc/init.d/networking <<'EOF'
#!/sbin/openrc-run

description="Configure network interfaces from /etc/network/interfaces"

depend() {
	need localmount
	after bootmisc hwdrivers modules
	provide net
	keyword -jail -prefix -vserver
}

start() {
	ebegin "Starting networking"
	ifup -a
	eend $?
}

stop() {
	ebegin "Stopping networking"
	ifdown -a -f
	eend $?
}
EOF
    put 755 etc/init.d/local <<'EOF'
#!/sbin/openrc-run

description="Run the executable *.start and *.stop files in /etc/local.d"

depend() {
	after *
	keyword -timeout
}

start() {
	local file
	for file in /etc/local.d/*.start; do
		[ -x "$file" ] && "$file"
	done
	return 0
}

stop() {
	local file
	for file in /etc/local.d/*.stop; do
		[ -x "$file" ] && "$file"
	done
	return 0
}
EOF
    put 755 etc/init.d/killprocs <<'EOF'
#!/sbin/openrc-run

description="Stop every process still running before shutdown"

depend() {
	after *
	keyword -prefix
}

start() {
	ebegin "Terminating remaining processes"
	kill -15 -1
	sleep 1
	kill -9 -1
	eend 0
}
EOF
    put 755 etc/init.d/mount-ro <<'EOF'
#!/sbin/openrc-run

description="Remount the file systems read-only before shutdown"

depend() {
	need killprocs savecache
	keyword -prefix -systemd-nspawn -vserver
}

start() {
	ebegin "Remounting filesystems read-only"
	sync
	mount -o remount,ro /
	eend $?
}
EOF
    put 755 etc/init.d/savecache <<'EOF'
#!/sbin/openrc-run

description="Save OpenRC's dependency cache before shutdown"

depend() {
	keyword -prefix
}

start() {
	ebegin "Saving dependency cache"
	mkdir -p /lib/rc/cache
	eend 0
}
EOF

    mkdir -p -- "$TREE/etc/local.d"
}

write_conf_d() {
    put 644 etc/conf.d/hostname <<'EOF'
# Host name to set at boot; empty means the name in /etc/hostname.
hostname=""
EOF
    put 644 etc/conf.d/bootmisc <<'EOF'
# Remove everything in /tmp at boot.
wipe_tmp="YES"
EOF
    put 644 etc/conf.d/dmesg <<'EOF'
# Kernel messages of this level and more urgent go to the console.
dmesg_level="1"
EOF
    put 644 etc/conf.d/localmount <<'EOF'
# Mount points that localmount must leave unmounted at shutdown.
#no_umounts="/dir1:/var/dir2"
EOF
    put 644 etc/conf.d/networking <<'EOF'
# Interfaces file read by ifup and ifdown.
#ifupdown_config="/etc/network/interfaces"
EOF
    put 644 etc/network/interfaces <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF
}

# Runlevel entries are absolute symlinks to /etc/init.d/<name>, as rc-update
# creates them.
write_runlevels() {
    local entry level service
    for entry in sysinit:devfs sysinit:dmesg sysinit:mdev \
        boot:bootmisc boot:hostname boot:localmount boot:networking boot:sysctl \
        default:local nonetwork:local \
        shutdown:killprocs shutdown:mount-ro shutdown:savecache; do
        level=${entry%%:*}
        service=${entry#*:}
        [ -f "$TREE/etc/init.d/$service" ] || fail "runlevel $level names $service, which has no init script"
        ln -s "/etc/init.d/$service" "$TREE/etc/runlevels/$level/$service"
    done
}

check_tree() {
    local special path
    special=$(find "$TREE" -xdev \( -perm -4000 -o -perm -2000 \) -print)
    [ -z "$special" ] || fail "the tree has SUID or SGID files: $special"

    for path in etc/sysctl.conf etc/gshadow lib/modules boot etc/apk; do
        [ ! -e "$TREE/$path" ] || fail "the tree must not have /$path"
    done
}

build_tree() {
    local dest=$1 parent name tmp old scratch busybox_root musl_root
    parent=$(dirname -- "$dest")
    name=$(basename -- "$dest")
    mkdir -p -- "$parent"
    parent=$(cd -- "$parent" && pwd -P)
    dest=$parent/$name

    exec 9>"$parent/.$name.lock"
    flock 9
    local stale
    for stale in "$parent/.$name.tmp."* "$parent/.$name.old."*; do
        [ -e "$stale" ] || continue
        rm -rf -- "$stale"
    done

    # With umask 022 every file and directory gets exactly the mode written
    # here, whatever the caller's umask.
    umask 022
    tmp=$parent/.$name.tmp.$$
    old=$parent/.$name.old.$$
    BUILD_DIR=$tmp
    trap 'rm -rf -- "$BUILD_DIR"' EXIT
    mkdir -- "$tmp" "$tmp/scratch" "$tmp/root"
    chmod 755 "$tmp/root"
    scratch=$tmp/scratch
    TREE=$tmp/root

    busybox_root=$(package_root busybox-static "$scratch")
    musl_root=$(package_root musl "$scratch")

    make_directories
    install_busybox "$busybox_root"
    install_musl "$musl_root"
    write_identity
    write_accounts
    write_mounts
    write_sysctl
    write_init
    write_init_scripts
    write_conf_d
    write_runlevels
    check_tree
    expected_stamp >"$TREE/$STAMP_NAME"

    if [ -e "$dest" ]; then
        mv -- "$dest" "$old"
    fi
    mv -- "$TREE" "$dest"
    rm -rf -- "$tmp" "$old"
    trap - EXIT
    log "built $dest"
}

main() {
    local check=no
    if [ "${1:-}" = --check ]; then
        check=yes
        shift
    fi
    local cache=${KH_CACHE_DIR:-/var/cache/kimigayo-harden}
    local dest=${1:-$cache/rootfs/kimigayo}

    if [ -f "$dest/$STAMP_NAME" ] && [ "$(cat -- "$dest/$STAMP_NAME")" = "$(expected_stamp)" ]; then
        log "$dest is up to date"
        return 0
    fi
    if [ "$check" = yes ]; then
        log "$dest is missing or out of date"
        exit 1
    fi

    log "building $dest"
    build_tree "$dest"
}

main "$@"
