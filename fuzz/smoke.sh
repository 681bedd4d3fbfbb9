#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target and runs each for a few seconds, starting
# from its committed seeds (fuzz/seeds/<target>), one target at a time.
#
#   bash fuzz/smoke.sh [SECONDS]     # default 15 s per target; or FUZZ_SECONDS=3 bash fuzz/smoke.sh
#
# The stable toolchain is enough: the sanitizer is off, and RUSTC_BOOTSTRAP=1 lets cargo-fuzz
# pass its nightly-only flags. The seeds are copied into a scratch corpus under
# fuzz/target/smoke-corpus/<target> (fuzz/seeds is never written). One summary line per
# target; on a crash (or hang, or out-of-memory) that target's log is printed from the panic
# on, the other targets still run, and the script exits 1. Crash inputs land in
# fuzz/artifacts/<target>/; reproduce with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> --sanitizer none --release <artifact>
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-15}}"
case "$seconds" in
  '' | *[!0-9]*)
    echo "smoke.sh: seconds must be a whole number, got '$seconds'" >&2
    exit 2
    ;;
esac

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
# A crash report shows the target's panic backtrace (RUST_BACKTRACE), not cargo-fuzz's own.
export RUST_LIB_BACKTRACE=0
flags=(--sanitizer none --release)
cargo fuzz build "${flags[@]}"

targets=$(cargo fuzz list)
mkdir -p target
failed=()
for target in $targets; do
  scratch="target/smoke-corpus/$target"
  log="target/smoke-$target.log"
  rm -rf "$scratch"
  mkdir -p "$scratch" "artifacts/$target"
  if [ -d "seeds/$target" ]; then
    cp -- "seeds/$target"/* "$scratch"/ 2>/dev/null || true
  fi
  seeds=$(find "$scratch" -type f | wc -l)
  if cargo fuzz run "$target" "$scratch" "${flags[@]}" -- \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")
    printf '%-24s ok    %9s runs in %ss, cov %s, corpus %s (from %s seeds)\n' \
      "$target" "${runs:-?}" "$seconds" "${cov:-?}" "${corp:-?}" "$seeds"
  else
    printf '%-24s FAIL  (log: fuzz/%s)\n' "$target" "$log"
    # From the panic (or libFuzzer's report) on; else the last lines.
    first=$(grep -n -m 1 -E "panicked at|ERROR: libFuzzer|==[0-9]+== ?ERROR" "$log" \
      | cut -d: -f1 || true)
    if [ -n "$first" ]; then
      { tail -n +"$first" "$log" | head -n 80; } || true
    else
      tail -n 40 "$log"
    fi
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz smoke failed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
  exit 1
fi
