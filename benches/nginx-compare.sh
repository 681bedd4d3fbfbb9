#!/usr/bin/env bash
# `mtls serve` (mtls-auth) against nginx (`ssl_verify_client on`) and HAProxy (`verify
# required`, `http-reuse always`) on loopback, all with the same CA, server certificate and
# echo upstream (its own process, whose CPU is counted apart), measured by `mtls-load` with a
# client certificate: keep-alive and new-connection requests/s, latency and server CPU per
# request, the servers interleaved in every round, then each server's RSS before and after N
# idle mTLS connections. HAPROXY=0 leaves HAProxy out.
#
#   benches/nginx-compare.sh
#   ROUNDS=5 DURATION=20 KA_CONNS=128 NC_CONNS=32 benches/nginx-compare.sh
#
# Parameters (environment):
#   ROUNDS=3          rounds per mode; each round runs the gateway and nginx (order alternates)
#   DURATION=10       seconds measured per run, after WARMUP seconds not counted
#   WARMUP=1
#   KA_CONNS=64       concurrent connections in keep-alive mode
#   NC_CONNS=32       concurrent clients in new-connection mode (one handshake per request)
#   MODES="keepalive newconn"
#   IDLE_CONNS=10000  idle mTLS connections for the RSS measurement (0: skip)
#   IDLE_SETTLE=5     seconds between "all open" and the RSS reading
#   IDLE_HOLD=10      seconds the idle connections are held (>= IDLE_SETTLE)
#   BARE=0            1: also run the rounds against `mtls-load bare` (tokio-rustls + hyper,
#                     client certificate required) answering directly, proxying with a new
#                     upstream connection per request, and proxying over pooled connections
#   LOAD_THREADS=0    tokio worker threads of the load tool (0: one per core)
#   NO_BUILD=0        1: skip `cargo build`
#   WORKDIR=...       where the PKI, configurations, logs and results go (default: a new
#                     /tmp/mtls-compare.* directory, kept afterwards; it holds test keys only)
#   GW_LOG=info       RUST_LOG of the gateway
#   SERVER_CPUS= CLIENT_CPUS=  taskset CPU lists: the server under test on SERVER_CPUS, the load
#                     tool and the echo upstream on CLIENT_CPUS (default: no pinning)
#   NGINX_WORKERS=auto  worker_processes (with SERVER_CPUS: the number of CPUs in it)
#   ECHO_PORT=18080 GW_PORT=18443 GW_HTTP_PORT=18000 NGINX_PORT=19443 BARE_PORT=18444
#   HAPROXY=1 HAPROXY_PORT=19444  HAProxy as a third server (nbthread: as nginx's workers)
#
# Needs: bash, curl, awk, nginx and haproxy (installed with apt-get when missing), cargo.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
KA_CONNS=${KA_CONNS:-64}
NC_CONNS=${NC_CONNS:-32}
MODES=${MODES:-keepalive newconn}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SETTLE=${IDLE_SETTLE:-5}
IDLE_HOLD=${IDLE_HOLD:-10}
BARE=${BARE:-0}
LOAD_THREADS=${LOAD_THREADS:-0}
NGINX_PORT=${NGINX_PORT:-19443}
HAPROXY=${HAPROXY:-1}
HAPROXY_PORT=${HAPROXY_PORT:-19444}
BARE_PORT=${BARE_PORT:-18444}
WORKDIR=${WORKDIR:-$(mktemp -d /tmp/mtls-compare.XXXXXX)}
mkdir -p "$WORKDIR"

# shellcheck source=benches/loopback-common.sh
source "$(dirname "$0")/loopback-common.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- nginx -------------------------------------------------------------------------------------
NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -z $NGINX ]]; then
  if [[ $(id -u) == 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null; then
    SUDO=(sudo)
  else
    die "nginx is not installed and neither root nor sudo is available to install it"
  fi
  log "installing nginx (apt-get)"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq nginx >/dev/null
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
command -v curl >/dev/null || die "curl is needed"
HAPROXY_BIN=$(command -v haproxy || true)
[[ -z $HAPROXY_BIN && -x /usr/sbin/haproxy ]] && HAPROXY_BIN=/usr/sbin/haproxy
if [[ $HAPROXY == 1 && -z $HAPROXY_BIN ]]; then
  log "installing haproxy (apt-get)"
  [[ $(id -u) == 0 ]] || command -v sudo >/dev/null || die "haproxy is not installed"
  [[ $(id -u) == 0 ]] && SUDO=() || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq haproxy >/dev/null
  HAPROXY_BIN=$(command -v haproxy || echo /usr/sbin/haproxy)
fi

NGINX_WORKERS=${NGINX_WORKERS:-auto}
if [[ -n $SERVER_CPUS && $NGINX_WORKERS == auto ]]; then
  NGINX_WORKERS=$(taskset -c "$SERVER_CPUS" nproc)
fi

build
raise_nofile $((IDLE_CONNS * 2 + 4096))
check_ports "$ECHO_PORT" "$GW_PORT" "$GW_HTTP_PORT" "$NGINX_PORT"
if [[ $HAPROXY == 1 ]]; then check_ports "$HAPROXY_PORT"; fi
[[ $BARE == 1 ]] && check_ports "$BARE_PORT"
log "work directory: $WORKDIR"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

make_pki
start_echo
start_gateway

write_nginx_conf() {
  local dir=$WORKDIR/nginx user_line=""
  mkdir -p "$dir"
  # As root, nginx's workers would switch to `nobody`: keep them as the current user.
  [[ $(id -u) == 0 ]] && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
# Written by benches/nginx-compare.sh: the same job as the gateway's kong.yaml.
$user_line
worker_processes $NGINX_WORKERS;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections $((IDLE_CONNS + 4096));
}

http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;

    upstream echo {
        server 127.0.0.1:$ECHO_PORT;
        keepalive 256;
        keepalive_requests 1000000;
        # Below the echo upstream's 30 s idle limit (hyper's header read timeout).
        keepalive_timeout 20s;
    }

    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        server_name localhost;

        ssl_certificate $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_client_certificate $PKI/root-ca.crt;
        ssl_verify_client on;
        ssl_verify_depth 2;

        keepalive_requests 1000000;
        keepalive_timeout 75s;

        location / {
            proxy_pass http://echo;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host 127.0.0.1:$ECHO_PORT;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Client-Subject \$ssl_client_s_dn;
        }
    }
}
EOF
}

start_nginx() {
  write_nginx_conf
  "$NGINX" -t -q -e "$WORKDIR/nginx/error.log" -c "$WORKDIR/nginx/nginx.conf" -p "$WORKDIR/nginx/" \
    || die "nginx -t refused $WORKDIR/nginx/nginx.conf"
  "${AS_SERVER[@]}" "$NGINX" -e "$WORKDIR/nginx/error.log" -c "$WORKDIR/nginx/nginx.conf" -p "$WORKDIR/nginx/" \
    -g 'daemon off;' >"$WORKDIR/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$NGINX_PORT" "$NGINX_PID" "nginx"
}
start_nginx

write_haproxy_conf() {
  local dir=$WORKDIR/haproxy threads=$NGINX_WORKERS maxconn
  mkdir -p "$dir"
  # HAProxy wants two descriptors a connection (client and server side).
  maxconn=$((IDLE_CONNS + 4096))
  (( maxconn > $(ulimit -n) / 2 - 64 )) && maxconn=$(($(ulimit -n) / 2 - 64))
  [[ $threads == auto ]] && threads=$(nproc)
  cat "$PKI/server.crt" "$PKI/server.key" >"$dir/server.pem"
  cat >"$dir/haproxy.cfg" <<EOF
# Written by benches/nginx-compare.sh: the same job as the gateway's kong.yaml.
global
    nbthread $threads
    maxconn $maxconn

defaults
    mode http
    timeout connect 5s
    timeout client 75s
    timeout server 20s
    timeout http-keep-alive 75s
    option http-keep-alive

frontend mtls
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $dir/server.pem ca-file $PKI/root-ca.crt verify required
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Client-Subject %{+Q}[ssl_c_s_dn]
    option forwardfor
    default_backend echo

backend echo
    http-reuse always
    http-request set-header Host 127.0.0.1:$ECHO_PORT
    server echo 127.0.0.1:$ECHO_PORT
EOF
}

start_haproxy() {
  write_haproxy_conf
  "$HAPROXY_BIN" -c -q -f "$WORKDIR/haproxy/haproxy.cfg" || die "haproxy -c refused $WORKDIR/haproxy/haproxy.cfg"
  "${AS_SERVER[@]}" "$HAPROXY_BIN" -db -f "$WORKDIR/haproxy/haproxy.cfg" >"$WORKDIR/haproxy/stdout.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_port "$HAPROXY_PORT" "$HAPROXY_PID" "haproxy"
}
if [[ $HAPROXY == 1 ]]; then start_haproxy; fi

nginx_pids() { echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true); }
haproxy_rss() { rss_kb "$HAPROXY_PID"; }
gw_rss() { rss_kb "$GW_PID"; }
nginx_rss() { rss_kb $(nginx_pids); }

# --- both really require the client certificate -------------------------------------------------
expect() { # NAME GOT WANTED-REGEX
  if [[ $2 =~ ^($3)$ ]]; then
    log "check: $1: $2"
  else
    die "check: $1: got $2, wanted $3"
  fi
}
CERT=(--cert "$PKI/client.crt" --key "$PKI/client.key")
UNTRUSTED=(--cert "$PKI/untrusted.crt" --key "$PKI/untrusted.key")
expect "gateway, no client certificate" "$(curl_code "$GW_PORT" /)" 401
expect "gateway, untrusted client certificate" "$(curl_code "$GW_PORT" / "${UNTRUSTED[@]}")" 401
expect "gateway, client certificate" "$(curl_code "$GW_PORT" / "${CERT[@]}")" 200
# nginx completes the handshake without a certificate and answers 400 ("No required SSL
# certificate was sent"); a failed handshake (000) would do as well.
expect "nginx, no client certificate" "$(curl_code "$NGINX_PORT" /)" '400|000'
expect "nginx, untrusted client certificate" "$(curl_code "$NGINX_PORT" / "${UNTRUSTED[@]}")" '400|000'
expect "nginx, client certificate" "$(curl_code "$NGINX_PORT" / "${CERT[@]}")" 200
if [[ $HAPROXY == 1 ]]; then
  # HAProxy refuses the handshake without a (trusted) certificate.
  expect "haproxy, no client certificate" "$(curl_code "$HAPROXY_PORT" /)" '000|400'
  expect "haproxy, untrusted client certificate" "$(curl_code "$HAPROXY_PORT" / "${UNTRUSTED[@]}")" '000|400'
  expect "haproxy, client certificate" "$(curl_code "$HAPROXY_PORT" / "${CERT[@]}")" 200
fi

# --- RSS per idle connection ------------------------------------------------------------------
RESULTS=$WORKDIR/results.jsonl
: >"$RESULTS"

# idle NAME PORT RSS-FUNCTION: sets IDLE_RESULT to "before after opened closed-during-hold
# after-close" (RSS in kB).
idle() {
  local name=$1 port=$2 rss=$3 before after opened closed after_close ready out
  ready=$WORKDIR/idle-$name.ready
  out=$WORKDIR/idle-$name.out
  rm -f "$ready"
  sleep 1
  before=$($rss)
  mapfile -t args < <(load_args "$port")
  "${AS_CLIENT[@]}" "$BIN/mtls-load" idle "${args[@]}" --threads "$LOAD_THREADS" --connections "$IDLE_CONNS" \
    --hold "$IDLE_HOLD" --ready-file "$ready" >"$out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  local i
  for ((i = 0; i < 6000; i++)); do
    [[ -s $ready ]] && break
    kill -0 "$pid" 2>/dev/null || die "mtls-load idle against $name exited: $(cat "$out")"
    sleep 0.1
  done
  [[ -s $ready ]] || die "mtls-load idle against $name: not ready after 600 s"
  sleep "$IDLE_SETTLE"
  after=$($rss)
  wait "$pid" || die "mtls-load idle against $name failed: $(cat "$out")"
  opened=$(jget "$(grep '"state":"ready"' "$out")" opened)
  local failed
  failed=$(jget "$(grep '"state":"ready"' "$out")" failed)
  closed=$(jget "$(grep '"state":"done"' "$out")" closed_by_server_during_hold)
  sleep 2
  after_close=$($rss)
  [[ $failed == 0 ]] || log "warning: $failed idle connections to $name failed to open"
  unset 'PIDS[${#PIDS[@]}-1]'
  IDLE_RESULT="$before $after $opened $closed $after_close"
}

if ((IDLE_CONNS > 0)); then
  log "idle: $IDLE_CONNS connections to the gateway"
  idle gateway "$GW_PORT" gw_rss
  read -r GW_IDLE_BEFORE GW_IDLE_AFTER GW_IDLE_OPENED GW_IDLE_CLOSED GW_IDLE_AFTER_CLOSE \
    <<<"$IDLE_RESULT"
  log "idle: $IDLE_CONNS connections to nginx"
  idle nginx "$NGINX_PORT" nginx_rss
  read -r NX_IDLE_BEFORE NX_IDLE_AFTER NX_IDLE_OPENED NX_IDLE_CLOSED NX_IDLE_AFTER_CLOSE \
    <<<"$IDLE_RESULT"
  if [[ $HAPROXY == 1 ]]; then
    log "idle: $IDLE_CONNS connections to haproxy"
    idle haproxy "$HAPROXY_PORT" haproxy_rss
    read -r HA_IDLE_BEFORE HA_IDLE_AFTER HA_IDLE_OPENED HA_IDLE_CLOSED HA_IDLE_AFTER_CLOSE \
      <<<"$IDLE_RESULT"
  fi
fi

# --- throughput rounds --------------------------------------------------------------------------
GW_RSS_BEFORE_LOAD=$(gw_rss)
NX_RSS_BEFORE_LOAD=$(nginx_rss)

# one SERVER PORT MODE ROUND PID...: one run of the load tool; its JSON line, with the CPU
# time the server's processes (PID...) and the echo upstream used meanwhile, goes to RESULTS.
one() {
  local server=$1 port=$2 mode=$3 round=$4 conns out line s0 s1 e0 e1 scpu ecpu
  shift 4
  conns=$KA_CONNS
  [[ $mode == newconn ]] && conns=$NC_CONNS
  out=$WORKDIR/run-$server-$mode-$round.out
  mapfile -t args < <(load_args "$port")
  s0=$(cpu_ticks "$@")
  e0=$(cpu_ticks "$ECHO_PID")
  "${AS_CLIENT[@]}" "$BIN/mtls-load" run "${args[@]}" --threads "$LOAD_THREADS" --mode "$mode" \
    --connections "$conns" --duration "$DURATION" --warmup "$WARMUP" \
    --label "$server" >"$out" 2>&1 || die "mtls-load run failed: $(cat "$out")"
  s1=$(cpu_ticks "$@")
  e1=$(cpu_ticks "$ECHO_PID")
  scpu=$(awk -v a="$s0" -v b="$s1" -v t="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}')
  ecpu=$(awk -v a="$e0" -v b="$e1" -v t="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}')
  line=$(tail -n 1 "$out")
  line=${line%\}}
  line="$line,\"server_cpu_s\":$scpu,\"echo_cpu_s\":$ecpu,\"round\":$round}"
  echo "$line" >>"$RESULTS"
  log "$(printf '%-16s %-9s round %s: %9s req/s  p50 %8s us  p99 %8s us  p99.9 %8s us  errors %s  non-2xx %s  CPU s: server %s echo %s client %s' \
    "$server" "$mode" "$round" "$(jget "$line" rps)" "$(jget "$line" p50_us)" \
    "$(jget "$line" p99_us)" "$(jget "$line" p999_us)" "$(jget "$line" errors)" \
    "$(jget "$line" non2xx)" "$scpu" "$ecpu" "$(jget "$line" client_cpu_s)")"
}

SERVERS=(gateway nginx)
if [[ $HAPROXY == 1 ]]; then SERVERS+=(haproxy); fi
for mode in $MODES; do
  for ((r = 1; r <= ROUNDS; r++)); do
    # Rotate the order each round so that no server always runs first.
    k=$(((r - 1) % ${#SERVERS[@]}))
    order=("${SERVERS[@]:$k}" "${SERVERS[@]:0:$k}")
    for s in "${order[@]}"; do
      case $s in
        gateway) one gateway "$GW_PORT" "$mode" "$r" "$GW_PID" ;;
        nginx) one nginx "$NGINX_PORT" "$mode" "$r" $(nginx_pids) ;;
        haproxy) one haproxy "$HAPROXY_PORT" "$mode" "$r" "$HAPROXY_PID" ;;
      esac
    done
  done
done
GW_RSS_AFTER_LOAD=$(gw_rss)
NX_RSS_AFTER_LOAD=$(nginx_rss)

if [[ $BARE == 1 ]]; then
  for answer in direct proxy-new proxy-pool; do
    "${AS_SERVER[@]}" "$BIN/mtls-load" bare --listen "127.0.0.1:$BARE_PORT" --cert "$PKI/server.crt" \
      --key "$PKI/server.key" --ca "$PKI/root-ca.crt" --answer "$answer" \
      --upstream "127.0.0.1:$ECHO_PORT" >"$WORKDIR/bare-$answer.log" 2>&1 &
    bare_pid=$!
    PIDS+=("$bare_pid")
    wait_port "$BARE_PORT" "$bare_pid" "mtls-load bare"
    SERVERS+=("bare-$answer")
    if [[ $answer == direct ]] && ((IDLE_CONNS > 0)); then
      bare_rss() { rss_kb "$bare_pid"; }
      log "idle: $IDLE_CONNS connections to the bare server"
      idle bare "$BARE_PORT" bare_rss
      read -r BARE_IDLE_BEFORE BARE_IDLE_AFTER BARE_IDLE_OPENED BARE_IDLE_CLOSED BARE_IDLE_AFTER_CLOSE \
        <<<"$IDLE_RESULT"
    fi
    for mode in $MODES; do
      for ((r = 1; r <= ROUNDS; r++)); do one "bare-$answer" "$BARE_PORT" "$mode" "$r" "$bare_pid"; done
    done
    kill "$bare_pid"
    wait "$bare_pid" 2>/dev/null || true
    unset 'PIDS[${#PIDS[@]}-1]'
    sleep 1
  done
fi

# --- summary ------------------------------------------------------------------------------------
# table MODE: one markdown row per server, medians over the rounds of: req/s, latencies, and CPU
# microseconds per response of the server, the echo upstream and the load tool.
table() {
  awk -v mode="$1" -v order="${SERVERS[*]}" '
    function get(line, key,    m) {
      if (match(line, "\"" key "\":\"?[^,}\"]*")) {
        m = substr(line, RSTART, RLENGTH); sub("^\"" key "\":\"?", "", m); return m
      }
      return ""
    }
    function median(list,    a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      if (n == 0) return 0
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    get($0, "mode") == mode {
      l = get($0, "label"); r = get($0, "round"); resp = get($0, "responses") + 0
      rps[l] = rps[l] " " get($0, "rps"); by_round[l, r] = get($0, "rps")
      p50[l] = p50[l] " " get($0, "p50_us"); p99[l] = p99[l] " " get($0, "p99_us"); p999[l] = p999[l] " " get($0, "p999_us")
      if (resp > 0) {
        scpu[l] = scpu[l] " " get($0, "server_cpu_s") * 1e6 / resp
        ecpu[l] = ecpu[l] " " get($0, "echo_cpu_s") * 1e6 / resp
        ccpu[l] = ccpu[l] " " get($0, "client_cpu_s") * 1e6 / resp
      }
      errs[l] += get($0, "errors"); non[l] += get($0, "non2xx"); rounds[r] = 1
    }
    END {
      nx = median(rps["nginx"])
      for (r in rounds) if (by_round["nginx", r] > 0 && by_round["gateway", r] != "") ratios = ratios " " by_round["gateway", r] / by_round["nginx", r]
      n = split(order, servers, " ")
      for (i = 1; i <= n; i++) {
        l = servers[i]
        if (rps[l] == "") continue
        m = median(rps[l])
        rr = (l == "gateway" && ratios != "") ? sprintf("%.2f", median(ratios)) : "-"
        printf "| %s | %s | %.0f | %s | %s | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f | %d | %d |\n", l, mode, m, \
          (nx > 0 ? sprintf("%.2f", m / nx) : "-"), rr, median(p50[l]) / 1000, median(p99[l]) / 1000, \
          median(p999[l]) / 1000, median(scpu[l]), median(ecpu[l]), median(ccpu[l]), errs[l], non[l]
      }
    }' "$RESULTS"
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

SUMMARY=$WORKDIR/summary.md
{
  echo "### Results ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load average before:" \
    "$LOAD_BEFORE. $("$NGINX" -v 2>&1 | sed 's/^nginx version: //') ($("$NGINX" -V 2>&1 | sed -n 's/^built with \(OpenSSL [^ ]*\).*running with \(OpenSSL [^ ]*\).*/built with \1, running \2/p'))." \
    "Pinning: server CPUs '${SERVER_CPUS:-any}', load tool and echo CPUs '${CLIENT_CPUS:-any}'; nginx worker_processes $NGINX_WORKERS." \
    "Gateway log level: $GW_LOG. Source: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(cd "$ROOT" && git status --porcelain 2>/dev/null | wc -l) paths modified or untracked in the working tree)."
  echo
  echo "Rounds $ROUNDS x ${DURATION} s (+${WARMUP} s warm-up), keep-alive $KA_CONNS connections," \
    "new-connection $NC_CONNS clients; medians over the rounds. TLS negotiated:" \
    "$(awk '{ l = $0; sub(/.*"label":"/, "", l); sub(/".*/, "", l)
              v = $0; sub(/.*"tls_version":"/, "", v); sub(/".*/, "", v)
              c = $0; sub(/.*"cipher_suite":"/, "", c); sub(/".*/, "", c)
              g = $0; sub(/.*"kx_group":"/, "", g); sub(/".*/, "", g)
              k = l " " v " " c " " g; if (!(k in seen)) { seen[k] = 1; printf "%s%s", (n++ ? "; " : ""), k } }' "$RESULTS")."
  echo
  echo "| server | mode | req/s | vs nginx | gateway/nginx per round (median) | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | echo CPU µs/req | load tool CPU µs/req | errors | non-2xx |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for mode in $MODES; do table "$mode"; done
  echo
  echo "Per round (req/s, gateway / nginx):"
  echo
  for mode in $MODES; do
    g=$(grep '"label":"gateway"' "$RESULTS" | grep "\"mode\":\"$mode\"" | sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' | paste -sd' ')
    n=$(grep '"label":"nginx"' "$RESULTS" | grep "\"mode\":\"$mode\"" | sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' | paste -sd' ')
    echo "- $mode: gateway [$g], nginx [$n]"
  done
  echo
  if ((IDLE_CONNS > 0)); then
    echo "| server | RSS before | RSS with $IDLE_CONNS idle mTLS connections | per 10,000 idle | closed by the server within ${IDLE_HOLD} s | RSS 2 s after they closed |"
    echo "|---|---|---|---|---|---|"
    gw_per=$(awk -v a="$GW_IDLE_AFTER" -v b="$GW_IDLE_BEFORE" -v n="$GW_IDLE_OPENED" 'BEGIN {printf "%.1f", (a - b) / 1024 * 10000 / n}')
    nx_per=$(awk -v a="$NX_IDLE_AFTER" -v b="$NX_IDLE_BEFORE" -v n="$NX_IDLE_OPENED" 'BEGIN {printf "%.1f", (a - b) / 1024 * 10000 / n}')
    echo "| gateway | $(mib "$GW_IDLE_BEFORE") MiB | $(mib "$GW_IDLE_AFTER") MiB ($GW_IDLE_OPENED open) | **$gw_per MiB** | $GW_IDLE_CLOSED | $(mib "$GW_IDLE_AFTER_CLOSE") MiB |"
    echo "| nginx (master + workers) | $(mib "$NX_IDLE_BEFORE") MiB | $(mib "$NX_IDLE_AFTER") MiB ($NX_IDLE_OPENED open) | **$nx_per MiB** | $NX_IDLE_CLOSED | $(mib "$NX_IDLE_AFTER_CLOSE") MiB |"
    if [[ -n ${HA_IDLE_OPENED:-} ]]; then
      ha_per=$(awk -v a="$HA_IDLE_AFTER" -v b="$HA_IDLE_BEFORE" -v n="$HA_IDLE_OPENED" 'BEGIN {printf "%.1f", (a - b) / 1024 * 10000 / n}')
      echo "| haproxy | $(mib "$HA_IDLE_BEFORE") MiB | $(mib "$HA_IDLE_AFTER") MiB ($HA_IDLE_OPENED open) | **$ha_per MiB** | $HA_IDLE_CLOSED | $(mib "$HA_IDLE_AFTER_CLOSE") MiB |"
    fi
    if [[ -n ${BARE_IDLE_OPENED:-} ]]; then
      b_per=$(awk -v a="$BARE_IDLE_AFTER" -v b="$BARE_IDLE_BEFORE" -v n="$BARE_IDLE_OPENED" 'BEGIN {printf "%.1f", (a - b) / 1024 * 10000 / n}')
      echo "| bare tokio-rustls + hyper | $(mib "$BARE_IDLE_BEFORE") MiB | $(mib "$BARE_IDLE_AFTER") MiB ($BARE_IDLE_OPENED open) | **$b_per MiB** | $BARE_IDLE_CLOSED | $(mib "$BARE_IDLE_AFTER_CLOSE") MiB |"
    fi
    echo
  fi
  echo "RSS around the throughput rounds: gateway $(mib "$GW_RSS_BEFORE_LOAD") -> $(mib "$GW_RSS_AFTER_LOAD") MiB," \
    "nginx $(mib "$NX_RSS_BEFORE_LOAD") -> $(mib "$NX_RSS_AFTER_LOAD") MiB."
  echo
  echo "Gateway log: $(log_levels "$WORKDIR/gateway.log") lines;" \
    "nginx error.log: $(grep -cE '\[(warn|error|crit|alert|emerg)\]' "$WORKDIR/nginx/error.log" || true) lines at warn or above."
} >"$SUMMARY"

echo
cat "$SUMMARY"
echo
log "raw results: $RESULTS; logs and configurations: $WORKDIR"
