# Shared by benches/nginx-compare.sh and benches/soak.sh (sourced, not run): building, the
# test PKI, the echo upstream, the gateway's kong.yaml, `mtls serve`, RSS readings, clean-up.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release

ECHO_PORT=${ECHO_PORT:-18080}
GW_PORT=${GW_PORT:-18443}
GW_HTTP_PORT=${GW_HTTP_PORT:-18000}
# The gateway's log level (RUST_LOG); info is `mtls serve`'s default.
GW_LOG=${GW_LOG:-info}
# The root CA's id in kong.yaml.
CA_ID=5b1e7c3a-9d2f-4e8b-a6c1-0f3d2e1b4a57

# Optional CPU pinning (taskset lists, e.g. SERVER_CPUS=0 CLIENT_CPUS=1): the server under test
# on SERVER_CPUS, the load tool and the echo upstream on CLIENT_CPUS. Empty: no pinning.
SERVER_CPUS=${SERVER_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-}
CLK_TCK=$(getconf CLK_TCK)

PIDS=()

# Command prefixes (taskset execs the program: `$!` stays the server's pid).
AS_SERVER=()
AS_CLIENT=()
[[ -n $SERVER_CPUS ]] && AS_SERVER=(taskset -c "$SERVER_CPUS")
[[ -n $CLIENT_CPUS ]] && AS_CLIENT=(taskset -c "$CLIENT_CPUS")

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# Kills what this script started (by pid), newest first.
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  # Optional CPU pinning (taskset lists, e.g. SERVER_CPUS=0 CLIENT_CPUS=1): the server under test
# on SERVER_CPUS, the load tool and the echo upstream on CLIENT_CPUS. Empty: no pinning.
SERVER_CPUS=${SERVER_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-}
CLK_TCK=$(getconf CLK_TCK)

PIDS=()
}

# Raises the open-file limit to at least $1 (idle connections need one descriptor each).
raise_nofile() {
  local want=$1 hard
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited && $hard -lt $want ]]; then
    log "warning: hard RLIMIT_NOFILE is $hard (< $want); using $hard"
    want=$hard
  fi
  ulimit -n "$want"
}

build() {
  if [[ ${NO_BUILD:-0} == 1 ]]; then
    log "NO_BUILD=1: using the binaries in $BIN"
  else
    log "building release binaries (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$ROOT" && cargo build --release -p mtls-examples -p mtls-benches --bins)
  fi
  [[ -x $BIN/mtls && -x $BIN/mtls-load ]] || die "missing $BIN/mtls or $BIN/mtls-load"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT PID NAME: until something listens on PORT (or PID dies).
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    if ! port_free "$1"; then return 0; fi
    kill -0 "$2" 2>/dev/null || die "$3 exited (see $WORKDIR)"
    sleep 0.05
  done
  die "$3 did not listen on port $1 within 10 s"
}

check_ports() {
  local p
  for p in "$@"; do port_free "$p" || die "port $p is in use (set the *_PORT variables)"; done
}

make_pki() {
  PKI=$WORKDIR/pki
  "$BIN/mtls-load" pki --out "$PKI" >/dev/null
}

start_echo() {
  "${AS_CLIENT[@]}" "$BIN/mtls-load" echo --listen "127.0.0.1:$ECHO_PORT" >"$WORKDIR/echo.log" 2>&1 &
  ECHO_PID=$!
  PIDS+=("$ECHO_PID")
  wait_port "$ECHO_PORT" "$ECHO_PID" "echo upstream"
}

indent() { sed 's/^/      /' "$1"; }

# write_kong_yaml FILE [VARIANT]: mtls-auth on every path of SNI localhost, the root CA as a
# ca_certificates entity, one consumer matched by the client's email SAN, the service pointing
# at the echo upstream. VARIANT 1 (for reloads) also sends the CA's name in the
# CertificateRequest and adds a second service and route.
write_kong_yaml() {
  local file=$1 variant=${2:-0} tmp
  tmp=$(mktemp "$file.XXXXXX")
  {
    cat <<EOF
# Written by benches/$(basename "$0") (variant $variant).
_format_version: "3.0"

ca_certificates:
  - id: $CA_ID
    cert: |
$(indent "$PKI/root-ca.crt")

certificates:
  - cert: |
$(indent "$PKI/server.crt")
    key: |
$(indent "$PKI/server.key")
    snis:
      - name: localhost

services:
  - name: echo
    url: http://127.0.0.1:$ECHO_PORT/
    routes:
      - name: mtls
        protocols: [https]
        snis: [localhost]
        paths: [/]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [$CA_ID]
EOF
    if [[ $variant == 1 ]]; then
      cat <<EOF
              send_ca_dn: true
  - name: extra
    url: http://127.0.0.1:$ECHO_PORT/extra
    routes:
      - name: extra
        protocols: [https]
        snis: [localhost]
        paths: [/extra]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [$CA_ID]
EOF
    fi
    cat <<EOF

consumers:
  - username: bench
    mtls_auth_credentials:
      - subject_name: client@example.test
        ca_certificate: $CA_ID
EOF
  } >"$tmp"
  # Atomic: a reload never reads a half-written file.
  mv -f "$tmp" "$file"
}

start_gateway() {
  KONG_YAML=$WORKDIR/kong.yaml
  write_kong_yaml "$KONG_YAML" 0
  RUST_LOG=$GW_LOG "${AS_SERVER[@]}" "$BIN/mtls" serve --config "$KONG_YAML" \
    --listen "127.0.0.1:$GW_PORT" --http-listen "127.0.0.1:$GW_HTTP_PORT" \
    --ssl-cert "$PKI/server.crt" --ssl-cert-key "$PKI/server.key" --admin-listen off \
    >"$WORKDIR/gateway.out" 2>"$WORKDIR/gateway.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_port "$GW_PORT" "$GW_PID" "mtls serve"
}

# rss_kb PID...: the sum of VmRSS (kB).
rss_kb() {
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# cpu_ticks PID...: user + system clock ticks used so far (every thread), summed.
cpu_ticks() {
  local total=0 p v
  for p in "$@"; do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# log_levels FILE: "N WARN, M ERROR, K INFO" lines of a gateway log (colours stripped).
log_levels() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '{n[$2]++} END {printf "%d WARN, %d ERROR, %d INFO", n["WARN"], n["ERROR"], n["INFO"]}'
}

# curl_code PORT PATH [curl options...]: the HTTP status, or 000 when the exchange failed.
curl_code() {
  local port=$1 path=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$PKI/root-ca.crt" \
    --resolve "localhost:$port:127.0.0.1" "$@" "https://localhost:$port$path" || true
}

# jget JSON KEY: a scalar of a flat JSON line (no nested key of that name).
jget() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,}\"]*\).*/\1/p" <<<"$1"; }

# load_args PORT: the target, trust and client certificate options of mtls-load.
load_args() {
  printf '%s\n' --target "127.0.0.1:$1" --sni localhost --ca "$PKI/root-ca.crt" \
    --cert "$PKI/client.crt" --key "$PKI/client.key"
}
