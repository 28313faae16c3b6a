# shellcheck shell=bash
# Helpers to run Debian's docker-registry (distribution 2.8) standalone on 127.0.0.1,
# plain HTTP, for benchmarks. Source this file; it defines functions only.
#
#   registry_start DIR [PORT]   write DIR/config.yml, start the registry on PORT (or a free
#                               port), log to DIR/registry.log, pid in DIR/registry.pid,
#                               port in DIR/port; waits until /v2/ answers
#   registry_addr DIR           prints 127.0.0.1:PORT
#   registry_pid DIR            prints the registry's pid
#   registry_stop DIR [--wipe]  stop it (and delete its storage with --wipe)
#   registry_restart_wiped DIR  stop, delete the storage, start again on the same port
#   registry_log_mark DIR       prints the access log's current size (a mark for ..._since)
#   registry_requests_since DIR MARK
#                               prints "METHOD COUNT" lines, "MANIFEST_PUT n" and "TOTAL n"
#                               for the access-log lines written after MARK
#   registry_cpu_ticks DIR      prints utime+stime of the registry process, in clock ticks
#
# Config as in ../shared/reference/test-registry-and-baselines.md: storage.delete on, upload
# purging off, fixed http.secret, access log on, log level warn. Requires docker-registry, curl.

REGISTRY_BIN=${REGISTRY_BIN:-docker-registry}

# Matches only access-log lines (combined log format); the registry also logs
# "response completed with error" lines for 404s on HEAD, which must not be counted.
REGISTRY_ACCESS_RE='^[^ ]+ - [^ ]+ \[[^]]+\] "[A-Z]+ '

_registry_port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

_registry_pick_port() {
  local port tries=0
  while ((tries < 200)); do
    port=$((20000 + RANDOM % 40000))
    if ! _registry_port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    tries=$((tries + 1))
  done
  echo "registry.sh: no free port found" >&2
  return 1
}

_registry_write_config() {
  local dir=$1 port=$2
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ferry-bench-not-secret
  draintimeout: 1s
  headers:
    X-Content-Type-Options: [nosniff]
YAML
}

# Starts on the given port; returns 1 if the registry died (e.g. port taken) or never answered.
_registry_start_on() {
  local dir=$1 port=$2 pid i code
  _registry_write_config "$dir" "$port"
  mkdir -p "$dir/data"
  echo "$port" >"$dir/port"
  "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/registry.pid"
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null) || true
    if [[ $code == 200 || $code == 401 ]]; then
      return 0
    fi
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

registry_start() {
  local dir=$1 port=${2:-} attempt
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -n $port ]]; then
    _registry_start_on "$dir" "$port" && return 0
    echo "registry.sh: registry in $dir did not start on port $port; see $dir/registry.log" >&2
    return 1
  fi
  for attempt in 1 2 3 4 5; do
    port=$(_registry_pick_port) || return 1
    _registry_start_on "$dir" "$port" && return 0
    echo "registry.sh: start on port $port failed (attempt $attempt), retrying" >&2
  done
  echo "registry.sh: registry in $dir did not start; see $dir/registry.log" >&2
  return 1
}

registry_addr() { echo "127.0.0.1:$(cat "$1/port")"; }
registry_pid() { cat "$1/registry.pid"; }

registry_stop() {
  local dir=$1 wipe=${2:-} pid i
  if [[ -f $dir/registry.pid ]]; then
    pid=$(cat "$dir/registry.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
      fi
      wait "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/registry.pid"
  fi
  if [[ $wipe == --wipe ]]; then
    rm -rf "${dir:?}/data"
  fi
}

registry_restart_wiped() {
  local dir=$1 port
  port=$(cat "$dir/port")
  registry_stop "$dir" --wipe
  registry_start "$dir" "$port"
}

registry_log_mark() {
  local log=$1/registry.log
  if [[ -f $log ]]; then stat -c %s "$log"; else echo 0; fi
}

registry_requests_since() {
  local dir=$1 mark=$2
  tail -c +"$((mark + 1))" "$dir/registry.log" | grep -E "$REGISTRY_ACCESS_RE" | awk '
    {
      method = substr($6, 2); path = $7
      count[method]++; total++
      if (method == "PUT" && path ~ /\/manifests\//) manifestPut++
    }
    END {
      for (m in count) print m, count[m]
      print "MANIFEST_PUT", manifestPut + 0
      print "TOTAL", total + 0
    }'
}

registry_cpu_ticks() {
  local pid
  pid=$(registry_pid "$1")
  # fields 14 and 15 of /proc/PID/stat (after the "(comm)" field, which may contain spaces)
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"
}
