#!/usr/bin/env bash
# Issue 9 part 4 (soak): one million requests through `mtls serve` (mtls-auth) while its
# kong.yaml is rewritten and reloaded (SIGHUP) every second. Passes only with zero errors and
# zero non-2xx answers, every request answered, and the gateway's RSS at the end of the load
# within RSS_TOLERANCE % of its RSS after the warm-up.
#
#   benches/soak.sh
#   TOTAL=200000 benches/soak.sh        # a shorter run
#
# The load is two `mtls-load run` processes at once: keep-alive connections (each reconnecting
# after KA_PER_CONN requests, with TLS session resumption allowed, so tickets minted before a
# reload are offered after it) and clients opening a new connection (full handshake) per
# request. The configuration alternates between two variants: the second one adds a service and
# a route and makes the CertificateRequest carry the CA's name (`send_ca_dn`), so every reload
# really changes the routes and the TLS configuration.
#
# Parameters (environment):
#   TOTAL=1000000       requests in all
#   NEWCONN_PERCENT=10  share of them sent on new connections
#   KA_CONNS=32 KA_PER_CONN=100 NC_CONNS=8
#   RELOAD_EVERY=1      seconds between reloads
#   SAMPLE_EVERY=2      seconds between RSS samples
#   WARMUP_S=20         the RSS sample at (or just after) this many seconds is the reference
#   RSS_TOLERANCE=20    per cent
#   NO_BUILD=0 WORKDIR=... GW_LOG=info ECHO_PORT=18080 GW_PORT=18443 GW_HTTP_PORT=18000
#   SERVER_CPUS= CLIENT_CPUS=   as in nginx-compare.sh
set -euo pipefail

TOTAL=${TOTAL:-1000000}
NEWCONN_PERCENT=${NEWCONN_PERCENT:-10}
KA_CONNS=${KA_CONNS:-32}
KA_PER_CONN=${KA_PER_CONN:-100}
NC_CONNS=${NC_CONNS:-8}
RELOAD_EVERY=${RELOAD_EVERY:-1}
SAMPLE_EVERY=${SAMPLE_EVERY:-2}
WARMUP_S=${WARMUP_S:-20}
RSS_TOLERANCE=${RSS_TOLERANCE:-20}
WORKDIR=${WORKDIR:-$(mktemp -d /tmp/mtls-soak.XXXXXX)}
mkdir -p "$WORKDIR"

# shellcheck source=benches/loopback-common.sh
source "$(dirname "$0")/loopback-common.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

build
raise_nofile 8192
check_ports "$ECHO_PORT" "$GW_PORT" "$GW_HTTP_PORT"
log "work directory: $WORKDIR"
make_pki
start_echo
start_gateway
[[ $(curl_code "$GW_PORT" / --cert "$PKI/client.crt" --key "$PKI/client.key") == 200 ]] \
  || die "the gateway does not answer 200 to the client certificate"
[[ $(curl_code "$GW_PORT" /) == 401 ]] || die "the gateway does not answer 401 without a certificate"

NC_TOTAL=$((TOTAL * NEWCONN_PERCENT / 100))
KA_TOTAL=$((TOTAL - NC_TOTAL))
RSS_FILE=$WORKDIR/rss.tsv
RELOADS_FILE=$WORKDIR/reloads
echo 0 >"$RELOADS_FILE"
START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v n="$(date +%s.%N)" 'BEGIN {printf "%.1f", n - s}'; }

# Rewrites kong.yaml (alternating variants, atomically) and sends SIGHUP, every RELOAD_EVERY s.
reloader() {
  local variant=0 n=0
  while kill -0 "$GW_PID" 2>/dev/null; do
    sleep "$RELOAD_EVERY"
    variant=$((1 - variant))
    write_kong_yaml "$KONG_YAML" "$variant"
    kill -HUP "$GW_PID" 2>/dev/null || break
    n=$((n + 1))
    echo "$n" >"$RELOADS_FILE"
  done
}

# Appends "seconds rss_kB reloads_sent" every SAMPLE_EVERY s.
sampler() {
  printf 'elapsed_s\trss_kb\treloads\n' >"$RSS_FILE"
  while kill -0 "$GW_PID" 2>/dev/null; do
    printf '%s\t%s\t%s\n' "$(elapsed)" "$(rss_kb "$GW_PID")" "$(cat "$RELOADS_FILE")" >>"$RSS_FILE"
    sleep "$SAMPLE_EVERY"
  done
}

sampler &
SAMPLER_PID=$!
PIDS+=("$SAMPLER_PID")
reloader &
RELOADER_PID=$!
PIDS+=("$RELOADER_PID")

log "soak: $KA_TOTAL keep-alive requests ($KA_CONNS connections, $KA_PER_CONN requests each," \
  "resumption on) + $NC_TOTAL new-connection requests ($NC_CONNS clients); reload every ${RELOAD_EVERY} s"
mapfile -t args < <(load_args "$GW_PORT")
"${AS_CLIENT[@]}" "$BIN/mtls-load" run "${args[@]}" --mode keepalive --resume \
  --connections "$KA_CONNS" --requests-per-conn "$KA_PER_CONN" --requests "$KA_TOTAL" \
  --progress 10 --label soak-keepalive >"$WORKDIR/load-keepalive.out" 2>"$WORKDIR/load-keepalive.err" &
KA_PID=$!
PIDS+=("$KA_PID")
"${AS_CLIENT[@]}" "$BIN/mtls-load" run "${args[@]}" --mode newconn \
  --connections "$NC_CONNS" --requests "$NC_TOTAL" \
  --progress 10 --label soak-newconn >"$WORKDIR/load-newconn.out" 2>"$WORKDIR/load-newconn.err" &
NC_PID=$!
PIDS+=("$NC_PID")

ka_ok=0
nc_ok=0
wait "$KA_PID" && ka_ok=1
log "keep-alive load done at $(elapsed) s"
wait "$NC_PID" && nc_ok=1
log "new-connection load done at $(elapsed) s"
LOAD_END=$(elapsed)
[[ $ka_ok == 1 && $nc_ok == 1 ]] || die "a load process failed: $(cat "$WORKDIR"/load-*.err)"

kill "$RELOADER_PID" 2>/dev/null || true
wait "$RELOADER_PID" 2>/dev/null || true
sleep 3
printf '%s\t%s\t%s\n' "$(elapsed)" "$(rss_kb "$GW_PID")" "$(cat "$RELOADS_FILE")" >>"$RSS_FILE"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
AFTER_LOAD_RSS=$(rss_kb "$GW_PID")

# --- verdict ------------------------------------------------------------------------------------
KA_LINE=$(tail -n 1 "$WORKDIR/load-keepalive.out")
NC_LINE=$(tail -n 1 "$WORKDIR/load-newconn.out")
sum() { echo $(($(jget "$KA_LINE" "$1") + $(jget "$NC_LINE" "$1"))); }
RESPONSES=$(sum responses)
ERRORS=$(sum errors)
NON2XX=$(sum non2xx)
HANDSHAKES=$(sum handshakes)
SENT=$(cat "$RELOADS_FILE")
CLEAN_LOG=$WORKDIR/gateway.clean.log
sed 's/\x1b\[[0-9;]*m//g' "$WORKDIR/gateway.log" >"$CLEAN_LOG"
RELOADED=$(grep -c 'configuration reloaded' "$CLEAN_LOG" || true)
REFUSED=$(grep -c 'reload refused' "$CLEAN_LOG" || true)

# The reference: the first sample at or after WARMUP_S; the end: the last sample during the load.
read -r WARM_T WARM_RSS < <(awk -v w="$WARMUP_S" 'NR > 1 && $1 >= w {print $1, $2; exit}' "$RSS_FILE")
read -r END_T END_RSS < <(awk -v e="$LOAD_END" 'NR > 1 && $1 <= e {t = $1; r = $2} END {print t, r}' "$RSS_FILE")
MAX_RSS=$(awk 'NR > 1 && $2 > m {m = $2} END {print m}' "$RSS_FILE")
[[ -n ${WARM_RSS:-} && -n ${END_RSS:-} ]] || die "the load ended before the warm-up sample (WARMUP_S=$WARMUP_S)"
GROWTH=$(awk -v a="$END_RSS" -v b="$WARM_RSS" 'BEGIN {printf "%.1f", (a - b) * 100 / b}')

echo
echo "RSS samples (elapsed s, VmRSS kB, reloads sent):"
column -t "$RSS_FILE" 2>/dev/null || cat "$RSS_FILE"
echo
echo "### Soak ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "- requests: $RESPONSES answered of $TOTAL ($(jget "$KA_LINE" responses) keep-alive," \
  "$(jget "$NC_LINE" responses) new-connection), $HANDSHAKES TLS handshakes, in $LOAD_END s"
echo "- keep-alive: $(jget "$KA_LINE" rps) req/s, p50 $(jget "$KA_LINE" p50_us) µs, p99 $(jget "$KA_LINE" p99_us) µs," \
  "p99.9 $(jget "$KA_LINE" p999_us) µs, max $(jget "$KA_LINE" max_us) µs"
echo "- new-connection: $(jget "$NC_LINE" rps) req/s, p50 $(jget "$NC_LINE" p50_us) µs, p99 $(jget "$NC_LINE" p99_us) µs," \
  "p99.9 $(jget "$NC_LINE" p999_us) µs, max $(jget "$NC_LINE" max_us) µs"
echo "- errors: $ERRORS (connect $(sum connect_errors), tls $(sum tls_errors), http $(sum http_errors)," \
  "timeout $(sum timeouts)); non-2xx: $NON2XX"
echo "- reloads: $SENT SIGHUPs sent, $RELOADED 'configuration reloaded', $REFUSED 'reload refused' in the gateway log"
echo "- RSS: $WARM_RSS kB at ${WARM_T} s (reference), $END_RSS kB at ${END_T} s (end of load), growth $GROWTH %" \
  "(tolerance $RSS_TOLERANCE %); maximum $MAX_RSS kB; $AFTER_LOAD_RSS kB 3 s after the load"
echo "- gateway log: $(log_levels "$WORKDIR/gateway.log") lines"
echo

fail=0
[[ $ERRORS == 0 ]] || { log "FAIL: $ERRORS errors"; fail=1; }
[[ $NON2XX == 0 ]] || { log "FAIL: $NON2XX non-2xx answers"; fail=1; }
[[ $RESPONSES == "$TOTAL" ]] || { log "FAIL: $RESPONSES answers for $TOTAL requests"; fail=1; }
[[ $REFUSED == 0 ]] || { log "FAIL: $REFUSED reloads refused"; fail=1; }
[[ $RELOADED -gt 0 ]] || { log "FAIL: no reload happened"; fail=1; }
awk -v g="$GROWTH" -v t="$RSS_TOLERANCE" 'BEGIN {exit !(g <= t)}' \
  || { log "FAIL: RSS grew $GROWTH % (more than $RSS_TOLERANCE %)"; fail=1; }
log "files: $WORKDIR (rss.tsv, load-*.out, gateway.log)"
if ((fail)); then
  log "soak: FAILED"
  exit 1
fi
log "soak: PASSED"
