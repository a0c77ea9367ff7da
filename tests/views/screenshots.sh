#!/usr/bin/env bash
# Renders the workbench's views to PNG in a real X11 window under Xvfb.
#   tests/views/screenshots.sh BUILD_DIR [OUTDIR=docs/screenshots]
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [OUTDIR]}
out=${2:-$(dirname "$0")/../../docs/screenshots}
export XDG_CONFIG_HOME=$(mktemp -d) # no remembered window geometry
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/tests/views/render_screenshots" "$out"
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/tests/views/render_diffview" "$out"
