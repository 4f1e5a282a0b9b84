#!/usr/bin/env bash
# Run the whole test suite: install the test dependencies, build the Debian
# and Kimigayo test trees (cached, so later runs skip both builds), compile,
# and run every compiled test file with Node's test runner.
#
# Usage: scripts/test.sh [TEST_FILE...]
#   With arguments, only those compiled files (dist/test/...*.test.js) run.
# Exits with the test runner's exit code.
set -Eeuo pipefail
trap 'printf "test.sh: error: command failed (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

cd "$(dirname -- "$0")/.."

log() {
    printf 'test.sh: %s\n' "$*"
}

bash scripts/install-test-deps.sh
bash scripts/build-debian-rootfs.sh
bash scripts/build-kimigayo-rootfs.sh

log "npm run build (tsc and the esbuild bundle)"
npm run --silent build

if [ "$#" -gt 0 ]; then
    files=("$@")
else
    files=()
    # Node 20's --test does not expand globs, so the files are listed here.
    # A compiled test whose source file is gone is left over from an older
    # build and would test code that no longer exists.
    while IFS= read -r compiled; do
        source=${compiled#dist/}
        source=${source%.js}.ts
        if [ -f "$source" ]; then
            files+=("$compiled")
        else
            log "skipping $compiled: $source no longer exists"
        fi
    done < <(find dist/test -name '*.test.js' | sort)
fi

if [ "${#files[@]}" -eq 0 ]; then
    printf 'test.sh: error: no compiled test files found under dist/test; add test/**/*.test.ts files\n' >&2
    exit 1
fi

log "node --test over ${#files[@]} files"
status=0
node --test --test-reporter=spec "${files[@]}" || status=$?
exit "$status"
