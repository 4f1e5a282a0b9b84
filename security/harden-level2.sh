#!/bin/sh
# Apply hardening level 2 of the Kimigayo OS security hardening guide (see harden-level.sh).
# Usage: harden-level2.sh [PROFILE] [kimigayo-harden apply options...]
exec "$(dirname -- "$0")/harden-level.sh" 2 "$@"
