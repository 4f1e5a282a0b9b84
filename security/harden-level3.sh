#!/bin/sh
# Apply hardening level 3 of the Kimigayo OS security hardening guide (see harden-level.sh).
# Usage: harden-level3.sh [PROFILE] [kimigayo-harden apply options...]
exec "$(dirname -- "$0")/harden-level.sh" 3 "$@"
