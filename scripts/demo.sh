#!/usr/bin/env bash
# The main job on embedded defaults: kscope on the sample artifacts the repo ships or generates.
set -euo pipefail
cd "$(dirname "$0")/.."
K="node dist/src/cli/main.js"
OUT=out/demo
mkdir -p "$OUT"

echo "== TII seL4 ftrace: a generated 2M-word stream, raw and as a console-log dump"
$K generate tii -o "$OUT/tii" --words 2000000 --seed 7
$K index "$OUT/tii/ftrace.bin"
$K summary "$OUT/tii/ftrace.bin"
$K event "$OUT/tii/ftrace.bin" 1000 --context 2
$K filter "$OUT/tii/ftrace.bin" --type KENTRY --limit 5
$K summary "$OUT/tii/console.log" --json | head -c 400; echo
