# Shared by the bench scripts: source it after setting PORT, OUT and BIN (the release bin path).

wait_for_port() { # port
    for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.05; done
    echo "port $1 never opened" >&2
    return 1
}

# Starts a hub on CPU 0, runs streamhub-bench against it on CPU 1 with the given arguments, appends
# its result line to $OUT, and stops the hub.
run_bench() { # label, hub binary, hub flags (one word-split string), streamhub-bench arguments...
    local label=$1 binary=$2 flags=$3
    shift 3
    # shellcheck disable=SC2086
    taskset -c 0 "$binary" --host 127.0.0.1 --port "$PORT" --publish-token t --max-connections 19000 --log-level warning $flags &
    local hub=$!
    wait_for_port "$PORT"
    taskset -c 1 "$BIN/streamhub-bench" --label "$label" --token t --pid "$hub" \
        --ws-url "ws://127.0.0.1:$PORT/api/v1/streams/{stream}/ws" \
        --publish-url "http://127.0.0.1:$PORT/api/v1/streams/{stream}/events" "$@" | tail -1 >> "$OUT"
    kill -TERM "$hub"
    wait "$hub" || true
}
