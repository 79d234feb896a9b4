#!/usr/bin/env bash
# The payment path against its ceiling, in one invocation (issue 14's measurement):
#   1. pgbench runs ../shared/bench/payment_ceiling.sql (the essential crash-safe writes of one
#      payment) on the same PostgreSQL with the same 32 clients for 20 s;
#   2. `tt serve` of CHECKOUT (default: this repository) on the machine's PostgreSQL (a fresh
#      database) and Redis, fraud checks on, velocity and purchase limits lifted through the
#      admin routes, takes POST /api/v1/payments/process from wrk (-t2 -c32 -d20s), each
#      request a buyer of its own (6,000 buyers: own token, device and human sessionData);
#   3. prints both and the ratio.
# RSS_ROUNDS=N RSS_SECONDS=S: afterwards, N more loads of S seconds, printing the server's
# resident memory after each (and after the first).
# Needs wrk and pgbench (Debian: apt-get install wrk postgresql-client); PROFILE=FILE also
# needs py-spy (pip install py-spy).
#   bench/wrk_payments.sh [CHECKOUT] [PORT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "${1:-$here/..}" && pwd)
port=${2:-3201}
pg=${PGURL:-postgresql://postgres@127.0.0.1:5432}
ceiling_sql=${CEILING_SQL:-$here/../../shared/bench}
work=$(mktemp -d /tmp/tt-wrk-XXXXXX)
db=tt_wrk_$$
serve=
cleanup() {
    [ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
    psql -q "$pg/test" -c "DROP DATABASE IF EXISTS ${db}_ceiling WITH (FORCE)" || true
    # KEEP_DB=1 keeps the service's database for a look afterwards (EXPLAIN, counts).
    if [ -n "${KEEP_DB:-}" ]; then echo "(kept the database $db)"
    else psql -q "$pg/test" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; fi
    # The server's log outlives the run: a non-200 answer is explained there.
    [ -f "$work/serve.log" ] && cp "$work/serve.log" "/tmp/tt-wrk-serve-$port.log" &&
        echo "(the server's log: /tmp/tt-wrk-serve-$port.log)"
    rm -rf "$work"
}
trap cleanup EXIT
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

echo "== ceiling: pgbench, 32 clients, 20 s"
psql -q "$pg/test" -c "CREATE DATABASE ${db}_ceiling"
psql -q "$pg/${db}_ceiling" -f "$ceiling_sql/payment_ceiling_setup.sql"
ceiling=$(pgbench "$pg/${db}_ceiling" -n -M prepared -c 32 -j 2 -T 20 -f "$ceiling_sql/payment_ceiling.sql" 2>&1 |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p')
echo "pgbench: $ceiling payments/s"

echo "== service: $(git -C "$checkout" log --oneline -1) (TT_WORKERS=${TT_WORKERS:-unset: one process per core where supported})"
psql -q "$pg/test" -c "CREATE DATABASE $db"
export TT_DATABASE_URL=$pg/$db TT_REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export TT_DATA_DIR=$work/data TT_PORT=$port TT_LOG_LEVEL=WARNING
export TT_QUEUE_TOKEN_SECRET=wrk-bench-queue-token-secret-0123456789abcdef
mkdir -p "$TT_DATA_DIR/keys"
openssl genrsa -out "$TT_DATA_DIR/keys/jwt-private.pem" 2048 2>/dev/null
openssl rsa -in "$TT_DATA_DIR/keys/jwt-private.pem" -pubout -out "$TT_DATA_DIR/keys/jwt-public.pem" 2>/dev/null
tt=$checkout/.venv/bin/tt
"$tt" migrate
"$tt" serve > "$work/serve.log" 2>&1 &
serve=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
tenant=$(uuid) venue=$(uuid) event=$(uuid)
admin=$("$tt" token issue --sub "$(uuid)" --tenant "$tenant" --role admin --ttl 3600)
put() {
    curl -sS --fail-with-body -o /dev/null -X PUT "http://127.0.0.1:$port$1" \
        -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$2"
}
put "/api/v1/admin/venues/$venue" '{"name":"Bench Hall","address":{"city":"Nashville","state":"TN","zip":"37203"}}'
put "/api/v1/admin/events/$event" "{\"venueId\":\"$venue\",\"name\":\"Bench Night\",\"startsAt\":\"2027-01-01T20:00:00Z\"}"
put /api/v1/admin/fraud/policy '{"velocity":{"limits":[{"dimension":"user","windowSeconds":3600,"limit":10000000},{"dimension":"ip","windowSeconds":60,"limit":10000000},{"dimension":"card","windowSeconds":86400,"limit":10000000}]}}'
# The one ticket type the buyers pay for; its id is the event's (a checkout from before the
# ticket catalog has no such route and charges the client's price, as it did then).
put "/api/v1/admin/events/$event/ticket-types/$event" '{"name":"General admission","price":5000,"currency":"USD","capacity":10000000}' ||
    echo "this checkout has no ticket catalog; its payments are not priced by one" >&2
put "/api/v1/admin/events/$event/high-demand" '{"enabled":false,"onSaleAt":"2026-01-01T00:00:00Z","activeSlots":1,"purchaseLimits":{"perUser":1000000,"perPaymentMethod":1000000,"perAddress":1000000,"perOrder":1000000}}'
"$checkout/.venv/bin/python" "$here/wrk/buyers.py" "$tenant" "$venue" "$event" 6000 "$work/buyers.tsv"
profiler=
if [ -n "${PROFILE:-}" ]; then
    # PROFILE=out.txt: py-spy samples the server during the load (collapsed stacks; summarize
    # with bench/profile_top.py). Sampling costs the server some CPU: compare profiles, not
    # the rate of a profiled run.
    py-spy record --pid "$serve" --subprocesses --duration 20 --rate 100 --nonblocking --format raw \
        --output "$PROFILE" >"$work/py-spy.log" 2>&1 &
    profiler=$!
fi
# CPU seconds of the server process and of the whole machine around the load: CPU per payment is
# steadier than payments/s on a machine whose speed swings, and shows where the time goes.
# The server is `tt serve` and, with several processes (TT_WORKERS, default one per core),
# uvicorn's workers under it.
server_pids() { echo "$serve"; pgrep -P "$serve" || true; }
server_cpu() { for pid in $(server_pids); do awk '{print $14 + $15}' "/proc/$pid/stat"; done | awk '{s += $1} END {print s}'; }
machine_cpu() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# STATEMENTS=FILE: the load's statements by total time, from pg_stat_statements (needs it in
# shared_preload_libraries and CREATE EXTENSION pg_stat_statements in the database test).
reset_statements() { psql -q "$pg/test" -c "SELECT pg_stat_statements_reset()" >/dev/null; }
dump_statements() {
    psql "$pg/test" -c "SELECT calls, round(total_exec_time::numeric, 1) AS ms,
    round((total_exec_time / calls)::numeric, 3) AS ms_per_call, left(regexp_replace(query, '\s+', ' ', 'g'), 160) AS query
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$db')
    ORDER BY total_exec_time DESC" >"$1"
}
[ -n "${STATEMENTS:-}" ] && reset_statements
cpu0=$(server_cpu) all0=$(machine_cpu)
wrk -t2 -c32 -d20s --timeout 10s -s "$here/wrk/pay.lua" "http://127.0.0.1:$port" -- "$work/buyers.tsv" | tee "$work/wrk.txt"
cpu1=$(server_cpu) all1=$(machine_cpu)
[ -n "${STATEMENTS:-}" ] && dump_statements "$STATEMENTS"
[ -n "$profiler" ] && { wait "$profiler" || cat "$work/py-spy.log" >&2; }
service=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk.txt")
rss() {
    for pid in $(server_pids); do awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; done |
        awk '{s += $1; if ($1 > m) m = $1; n++} END {printf "%.0f MiB in %d processes (largest %.0f MiB)", s / 1024, n, m / 1024}'
}
paid() { sed -n 's/^status 200: \([0-9]*\)/\1/p' "$1"; }
total=$(paid "$work/wrk.txt")
echo "== server RSS after $total payments: $(rss)"
ticks=$(getconf CLK_TCK)
python3 -c "
n = $total or 1
server = ($cpu1 - $cpu0) / $ticks * 1000 / n
rest = (($all1 - $all0) - ($cpu1 - $cpu0)) / $ticks * 1000 / n
print(f'== CPU per payment: server {server:.2f} ms, rest of the machine (PostgreSQL, Redis, wrk) {rest:.2f} ms')
"
# RSS_ROUNDS=N: N more loads of RSS_SECONDS (default 60) each, the server's RSS after each
# (issue 14: memory stays flat as payments accumulate).
# With STATEMENTS, the last round's statements go to FILE.last (what grows as payments pile up).
for round in $(seq 1 "${RSS_ROUNDS:-0}"); do
    [ -n "${STATEMENTS:-}" ] && [ "$round" = "$RSS_ROUNDS" ] && reset_statements
    cpu0=$(server_cpu) all0=$(machine_cpu)
    wrk -t2 -c32 -d"${RSS_SECONDS:-60}"s --timeout 10s -s "$here/wrk/pay.lua" "http://127.0.0.1:$port" \
        -- "$work/buyers.tsv" >"$work/round.txt"
    cpu1=$(server_cpu) all1=$(machine_cpu)
    done_now=$(paid "$work/round.txt")
    total=$((total + done_now))
    per=$(python3 -c "
n = ${done_now:-0} or 1
print(f'{($cpu1 - $cpu0) / $ticks * 1000 / n:.2f} + {(($all1 - $all0) - ($cpu1 - $cpu0)) / $ticks * 1000 / n:.2f} ms CPU a payment')")
    [ -n "${STATEMENTS:-}" ] && [ "$round" = "$RSS_ROUNDS" ] && dump_statements "$STATEMENTS.last"
    echo "== round $round: server RSS after $total payments: $(rss); $(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/round.txt")/s, $per ($(grep '^status' "$work/round.txt" | tr '\n' ' '))"
done
echo "== service $service payments/s, ceiling $ceiling payments/s, ratio $(python3 -c "print(f'{$service / $ceiling:.3f}')")"
