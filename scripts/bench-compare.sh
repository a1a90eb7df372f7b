#!/usr/bin/env bash
# Runs two or more builds of a benchmark in turns, N times each, and prints each stage's median,
# minimum and maximum per build. On a shared machine whose speed drifts from hour to hour, only
# builds measured in turns can be compared.
#
#   scripts/bench-compare.sh N "ARGS" BUILD...
#   scripts/bench-compare.sh 5 "--backend sqlite --skip-mqtt" /tmp/before/devices_bench ./target/release/examples/devices_bench
#
# Reads lines of the form "  <stage>   <n> readings in <t> s = <rate> /s ..." (the device and
# ingest benchmarks print them).
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,9p' "$0"
  exit 2
fi
runs=$1
args=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq 1 "$runs"); do
  for build in "$@"; do
    # shellcheck disable=SC2086 # ARGS is a list of arguments
    "$build" $args 2>&1 | awk -v build="$build" '
      / = +[0-9]+ \/s/ {
        rate = ""
        for (i = 1; i <= NF; i++) if ($i == "=") rate = $(i + 1)
        stage = $0
        sub(/^ +/, "", stage)
        sub(/ +[0-9]+ (readings|resources) in .*/, "", stage)
        print build "\t" stage "\t" rate
      }' >>"$out"
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
rates = collections.defaultdict(list)
for line in open(sys.argv[1]):
    build, stage, rate = line.rstrip("\n").split("\t")
    rates[(stage, build)].append(float(rate))
for (stage, build), r in sorted(rates.items()):
    print(f"{stage:<40} {build:<45} median {statistics.median(r):>9.0f}/s  "
          f"min {min(r):>9.0f}  max {max(r):>9.0f}  runs {len(r)}")
PY
