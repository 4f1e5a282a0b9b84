#!/bin/sh
# Apply a hardening level of the Kimigayo OS security hardening guide to this host, as one
# transaction that "kimigayo-harden rollback" undoes. harden-level1.sh, harden-level2.sh and
# harden-level3.sh call this script with their level; all four are installed together in
# /usr/share/kimigayo/security/.
#
# Usage: harden-level.sh LEVEL [PROFILE] [kimigayo-harden apply options...]
#   PROFILE  site profile (YAML); default /etc/kimigayo/harden-profile.yml of the target
#            (inside --root DIR when given) when it exists.
#   Options after it go to "kimigayo-harden apply", e.g. --root /mnt/image or --allow-lockout.
# Exit status is that of kimigayo-harden apply: 0 applied, 1 controls still failing, 2 refused.
set -eu

level=$1
shift

# A profile named on the command line must exist (kimigayo-harden reports it otherwise).
# The default one is used only when it is there, and it is the target's own: with
# --root DIR it is DIR/etc/kimigayo/harden-profile.yml, never this host's.
profile=
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
    profile=$1
    shift
else
    root=
    previous=
    for arg in "$@"; do
        case $arg in
            --root=*) root=${arg#--root=} ;;
            *) [ "$previous" = --root ] && root=$arg ;;
        esac
        previous=$arg
    done
    if [ -f "$root/etc/kimigayo/harden-profile.yml" ]; then
        profile=$root/etc/kimigayo/harden-profile.yml
    fi
fi

if [ -n "$profile" ]; then
    exec kimigayo-harden apply --level "$level" --profile "$profile" "$@"
fi
exec kimigayo-harden apply --level "$level" "$@"
