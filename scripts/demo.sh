#!/usr/bin/env bash
# The main job on embedded defaults: kscope on the sample artifacts the repo ships
# (real Debian-kernel captures under test/fixtures/linux/), the shared Breenix captures when
# ../shared is present, and a generated TII trace. Bundles and outputs go under out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
K="node dist/src/cli/main.js"
OUT=out/demo
FIX=test/fixtures/linux
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "TII seL4 ftrace: a generated 2M-word stream, raw and as a console-log dump"
$K generate tii -o "$OUT/tii" --words 2000000 --seed 7
$K index "$OUT/tii/ftrace.bin"
$K summary "$OUT/tii/ftrace.bin"
$K event "$OUT/tii/ftrace.bin" 1000 --context 2
$K filter "$OUT/tii/ftrace.bin" --type KENTRY --limit 5
$K summary "$OUT/tii/console.log" | head -12

step "Linux console log (Debian 6.1 arm64 under QEMU, a BUG): index, summary, grep"
cp "$FIX/arm64-bug.log.gz" "$OUT/"
$K index "$OUT/arm64-bug.log.gz"
$K summary "$OUT/arm64-bug.log.gz"
$K log "$OUT/arm64-bug.log.gz" --grep 'kernel BUG at|Internal error' --context 2

step "Crashes with stable titles (Debian kernels: a BUG, a hung task on a frozen filesystem)"
$K crashes "$OUT/arm64-bug.log.gz"
$K crashes "$FIX/x86_64-hung-task-fsfreeze.log.gz" | head -8

step "Diagnoses: a Debian kernel whose PID 1 spins forever (serial log + qemu -d int log)"
cp "$FIX/x86_64-spin.log.gz" "$FIX/x86_64-spin-qemu-int.log.gz" "$OUT/"
$K diagnose "$OUT/x86_64-spin.log.gz" "$OUT/x86_64-spin-qemu-int.log.gz"

step "Diff: a clean boot against a panicking one"
$K diff "$FIX/x86_64-boot.log.gz" "$FIX/x86_64-oops-panic.log.gz" --limit 5 --bundle-dir "$OUT" || [ $? -eq 1 ]  # exit 1 = they differ

step "Export: Linux ftrace to Perfetto and Chrome JSON"
cp "$FIX/x86_64-ftrace-trace.txt.gz" "$OUT/"
$K export "$OUT/x86_64-ftrace-trace.txt.gz" --perfetto "$OUT/ftrace.pftrace" --chrome "$OUT/ftrace.json"

step "Test results: KUnit (KTAP) from Debian's kernels on both architectures"
TR=test/fixtures/test-results
$K tests "$TR/arm64-kunit.log.gz" --status fail,skip,timeout

step "Run registry (DuckDB): parity across architectures, the ranked fix queue, the report"
STORE="$OUT/runs.duckdb"
$K runs add "$TR/x86_64-kunit.log.gz" --arch x86_64 --commit debian-6.1.192 --label kunit --store "$STORE"
$K runs add "$TR/arm64-kunit.log.gz" --arch aarch64 --commit debian-6.1.192 --label kunit --store "$STORE"
$K runs list --store "$STORE"
$K parity --store "$STORE" | tail -4
$K failures --store "$STORE"
$K report --markdown --store "$STORE" -o "$OUT/parity.md"
echo "(the whole parity document: $OUT/parity.md)"

BREENIX=../shared/samples/breenix
if [ -d "$BREENIX" ]; then
  step "Breenix serial capture (aarch64, a data abort)"
  cp "$BREENIX/p5b-serials__dataabort-schedule-from-kernel-cortexa72-boot55.txt" "$OUT/breenix-dataabort.txt"
  $K summary "$OUT/breenix-dataabort.txt"
  $K filter "$OUT/breenix-dataabort.txt" --type TEST_MARKER --limit 5
  $K crashes "$OUT/breenix-dataabort.txt"
  $K tests "$BREENIX/607-576-serials__legT-green-stack-pc-refused.txt" --status fail
else
  echo "(../shared/samples/breenix not found: skipping the Breenix part)"
fi
