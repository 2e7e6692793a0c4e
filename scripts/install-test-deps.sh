#!/usr/bin/env bash
# Installs the tools tests/c_api.rs needs on Debian/Ubuntu (run as root, or with sudo):
#   - a C compiler with the AddressSanitizer and UBSan runtimes (gcc, libasan, libubsan),
#   - valgrind,
#   - make (examples-c/Makefile, `make install`), pkg-config, nm and readelf
#     (binutils; tests/install.rs),
#   - g++ (the C++ wrapper's tests),
#   - Go with cgo (bindings/go, Debian's golang-go),
#   - Zig (bindings/zig), from PyPI's `ziglang` package, run as `python3 -m ziglang`.
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
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
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

# Zig is pinned: build.zig's API changes between Zig releases.
zig_version="0.15.2"
if [ "$(python3 -m ziglang version 2>/dev/null)" != "$zig_version" ]; then
    echo "install-test-deps: installing ziglang==$zig_version from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "ziglang==$zig_version"
fi

# Check that a sanitized program builds and runs.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void) { return 0; }\n' > "$probe_dir/probe.c"
cc -fsanitize=address,undefined -fno-omit-frame-pointer "$probe_dir/probe.c" -o "$probe_dir/probe"
ASAN_OPTIONS=detect_leaks=1 "$probe_dir/probe"
valgrind --version >/dev/null
make --version >/dev/null
pkg-config --version >/dev/null
g++ --version >/dev/null
go version >/dev/null
python3 -m ziglang version >/dev/null
echo "install-test-deps: cc (with ASan/UBSan), g++, valgrind, make, pkg-config, go and zig are ready"
