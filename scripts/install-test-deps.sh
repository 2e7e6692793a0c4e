#!/usr/bin/env bash
# Installs the tools tests/c_api.rs needs on Debian/Ubuntu (run as root, or with sudo):
#   - a C compiler with the AddressSanitizer and UBSan runtimes (gcc, libasan, libubsan),
#   - valgrind,
#   - make (examples-c/Makefile).
# Safe to run again: it installs only what is missing.
set -euo pipefail

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

# gcc's sanitizer runtimes: libasanN / libubsanN, where N follows the gcc version.
gcc_major=""
if command -v gcc >/dev/null 2>&1; then
    gcc_major="$(gcc -dumpversion | cut -d. -f1)"
fi

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
if [ -n "$gcc_major" ]; then
    # libgcc-N-dev holds the link-time libasan.so / libubsan.so for gcc N, and pulls in
    # the runtime packages (libasan*, libubsan1).
    dpkg -s "libgcc-${gcc_major}-dev" >/dev/null 2>&1 || missing+=("libgcc-${gcc_major}-dev")
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Check that a sanitized program builds and runs.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void) { return 0; }\n' > "$probe_dir/probe.c"
cc -fsanitize=address,undefined -fno-omit-frame-pointer "$probe_dir/probe.c" -o "$probe_dir/probe"
ASAN_OPTIONS=detect_leaks=1 "$probe_dir/probe"
valgrind --version >/dev/null
make --version >/dev/null
echo "install-test-deps: cc (with ASan/UBSan), valgrind and make are ready"
