#!/usr/bin/env bash
# Memory per open stream of one server under test: N streams held open at
# once, then the server's peak RSS (VmHWM) minus its idle RSS, divided by N.
# Unlike the benchmark's stream rows (opened over 2 s, 2 s each, so how many
# are open at the peak moves with the machine's load), the upstream here
# spaces its 20 chunks INTERVAL_MS apart (default 400: 8 s a stream) so that
# every stream is open at the peak: the figure repeats on a busy machine.
#
#   bench/streams-memory.sh [fastagentic|baseline|openai-compat] [N] [INTERVAL_MS]
#
# SERVER_ENV="MALLOC_ARENA_MAX=2" (or LD_PRELOAD=...) is set for the server
# only, to compare allocators. Builds nothing: run
# `cargo build --release -p fastagentic-bench` first (or point BENCH_BIN at
# another build of it). Prints one line: idle, peak, per stream, the
# upstream's peak (a hyper server alone, for scale), and the streams' outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-fastagentic}
n=${2:-8000}
interval=${3:-400}
bin=${BENCH_BIN:-target/release/fastagentic-bench}
case "$kind" in
    fastagentic) server=serve-fastagentic; path=/stream ;;
    openai-compat) server=serve-fastagentic; path=/v1/chat/completions ;;
    baseline) server=serve-baseline; path=/stream ;;
    *) echo "unknown kind $kind" >&2; exit 2 ;;
esac
# Through a proxy each stream holds two sockets; the load generator one more.
ulimit -n "$(( n * 2 + 1000 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d)
trap 'exec 8>&- 9>&- 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Each server exits when its stdin (a fifo this shell holds open) closes.
mkfifo "$tmp/upstream.in" "$tmp/server.in"
"$bin" serve-upstream --interval-ms "$interval" <"$tmp/upstream.in" >"$tmp/upstream.addr" 2>/dev/null &
upstream_pid=$!
exec 8>"$tmp/upstream.in"
for _ in $(seq 100); do [ -s "$tmp/upstream.addr" ] && break; sleep 0.1; done
upstream=$(sed 's/^LISTENING //' "$tmp/upstream.addr")

# shellcheck disable=SC2086 # SERVER_ENV is a list of NAME=value words
env ${SERVER_ENV:-} "$bin" "$server" --upstream "http://$upstream/v1" \
    <"$tmp/server.in" >"$tmp/server.addr" 2>"$tmp/server.log" &
server_pid=$!
exec 9>"$tmp/server.in"
for _ in $(seq 100); do grep -q LISTENING "$tmp/server.addr" && break; sleep 0.1; done
addr=$(grep LISTENING "$tmp/server.addr" | sed 's/^LISTENING //')

kib() { awk -v field="$2:" '$1 == field {print $2}' "/proc/$1/status"; }
idle=$(kib "$server_pid" VmRSS)
outcome=$("$bin" drive-streams "$addr" "$path" "$n")
peak=$(kib "$server_pid" VmHWM)
upstream_peak=$(kib "$upstream_pid" VmHWM)
echo "$kind${SERVER_ENV:+ ($SERVER_ENV)}, N=$n: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB," \
    "$(( (peak - idle) * 1024 / n )) bytes a stream; upstream peak $((upstream_peak / 1024)) MiB; $outcome"
