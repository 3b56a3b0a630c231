#!/usr/bin/env bash
# Instructions per request of one server under test, counted by callgrind
# (reproducible on a busy machine, unlike timings).
#
#   bench/callgrind.sh [fastagentic|baseline|openai-compat|fastagentic-stream|baseline-stream|
#                       portkey-inprocess-fallback|portkey-inprocess-loadbalance|
#                       portkey-inprocess-cache-hit] [REQUESTS] [SERVER FLAGS]
#
# Server flags for FastAgentic: --no-hooks, --no-metrics (to split the cost),
# --dashboard (the dashboard on: each LLM call recorded in its log).
#
# Builds nothing: run `cargo build --release -p fastagentic-bench` first
# (or point BENCH_BIN at another build of it, e.g. a copy kept as "before").
# Writes target/bench/callgrind/<kind>.out (open it with callgrind_annotate
# or kcachegrind) and prints the instructions per request and the top
# functions. Traffic stays on loopback; the request count bounds the run.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-fastagentic}
requests=${2:-5000}
shift $(( $# < 2 ? $# : 2 ))
flags=("$@")
label=$kind${flags[*]:+$(printf '%s' "${flags[@]}")}
bin=${BENCH_BIN:-target/release/fastagentic-bench}
out=target/bench/callgrind
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'exec 8>&- 9>&- 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Each server exits when its stdin (a fifo this shell holds open) closes.
mkfifo "$tmp/upstream.in" "$tmp/server.in"
"$bin" serve-upstream <"$tmp/upstream.in" >"$tmp/upstream.addr" 2>"$out/upstream.log" &
exec 8>"$tmp/upstream.in"
for _ in $(seq 100); do [ -s "$tmp/upstream.addr" ] && break; sleep 0.1; done
upstream=$(sed 's/^LISTENING //' "$tmp/upstream.addr")

case "$kind" in
    fastagentic) server=serve-fastagentic; path=/triage ;;
    fastagentic-stream) server=serve-fastagentic; path=/stream ;;
    openai-compat) server=serve-fastagentic; path=/v1/chat/completions ;;
    baseline) server=serve-baseline; path=/triage ;;
    baseline-stream) server=serve-baseline; path=/stream ;;
    portkey-inprocess-fallback) server=serve-fastagentic; path=/triage; flags+=(--portkey-config fallback) ;;
    portkey-inprocess-loadbalance) server=serve-fastagentic; path=/triage; flags+=(--portkey-config loadbalance) ;;
    portkey-inprocess-cache-hit) server=serve-fastagentic; path=/triage; flags+=(--portkey-config cached-fallback) ;;
    *) echo "unknown kind $kind" >&2; exit 2 ;;
esac
rm -f "$out/$label.out"*
valgrind --tool=callgrind --callgrind-out-file="$out/$label.out" \
    "$bin" "$server" --upstream "http://$upstream/v1" "${flags[@]}" \
    <"$tmp/server.in" >"$tmp/server.addr" 2>"$out/$label.valgrind.log" &
exec 9>"$tmp/server.in"
for _ in $(seq 600); do [ -s "$tmp/server.addr" ] && break; sleep 0.1; done
addr=$(sed 's/^LISTENING //' "$tmp/server.addr")

case "$kind" in
    *-stream)
        # Streams take 2 s each: fewer of them, all at once.
        "$bin" drive-streams "$addr" "$path" 200 >/dev/null
        callgrind_control -z >/dev/null 2>&1
        "$bin" drive-streams "$addr" "$path" "$requests"
        ;;
    *)
        "$bin" drive "$addr" "$path" 500 4 >/dev/null
        callgrind_control -z >/dev/null 2>&1
        "$bin" drive "$addr" "$path" "$requests" 4
        ;;
esac
callgrind_control -d >/dev/null 2>&1
exec 9>&-
wait %2 2>/dev/null || true
dump="$out/$label.out.1"
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$label: $total instructions for $requests requests = $((total / requests)) per request ($dump)"
callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | grep -Ev "libc.so|std::sys|tokio::runtime|core::ops::function" | sed -n '/^Ir/,$p' | sed -n 3,30p | cut -c1-160
