#!/usr/bin/env bash
# LLM Audit Workbench: set up a Debian 12 machine, build, and run the workbench or the tests.
#
#   ./run.sh workbench [ARGS...]   build, then open the workbench (first start: the sample store)
#   ./run.sh test                  build, then run every test suite with ctest
#   ./run.sh build                 only install what is missing and build
#
# Installs the missing Debian packages (with sudo when not root), builds into ./build with
# Ninja and ccache. BUILD_DIR and JOBS override the defaults.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

PACKAGES=(
    # toolchain
    cmake g++ ninja-build ccache pkg-config git
    # libraries
    qt6-base-dev libqt6sql6-sqlite libqt6svg6 libxkbcommon-dev qt6-charts-dev libqt6opengl6-dev
    nlohmann-json3-dev libsimdjson-dev libbson-dev libvalijson-dev libsqlite3-dev libssl-dev
    libzstd-dev libdtl-dev libmicrohttpd-dev
    # tests: independent validators, packaging checks, screenshots
    python3 python3-jsonschema python3-ciso8601 python3-bson sqlite3 curl wrk
    desktop-file-utils appstream shared-mime-info dpkg-dev file xvfb xauth
    # tests: reading reports back (pdftotext, pdftoppm)
    poppler-utils
)

# The SDK conformance test of the fake LLM server needs Node and npm; a Node that is already
# installed (from NodeSource, say, whose package conflicts with Debian's npm) is kept.
command -v node >/dev/null || PACKAGES+=(nodejs npm)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing: ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
    install_missing
    local werror=OFF
    [ "${CI:-}" = "true" ] && werror=ON
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMAUDIT_WERROR="$werror" >/dev/null
    cmake --build "$BUILD_DIR" -j "$JOBS"
}

case "${1:-}" in
workbench)
    shift
    build
    exec "$BUILD_DIR/app/llmaudit-workbench" "$@"
    ;;
test)
    build
    # Two suites at a time on two cores; every suite has its own time limit in CMake.
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
    ;;
build)
    build
    ;;
*)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
