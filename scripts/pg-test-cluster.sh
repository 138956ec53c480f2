#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks of the PostgreSQL store.
#
#   scripts/pg-test-cluster.sh start DIR [PORT]   initdb in DIR/data, start, print the URL
#   scripts/pg-test-cluster.sh stop DIR           stop the cluster (DIR is left for the caller)
#   scripts/pg-test-cluster.sh url DIR            print the URL of a running cluster
#
# The server listens on 127.0.0.1 only (a free port unless PORT is given) and puts its
# unix socket in DIR; authentication is "trust" for the superuser "tumen", which is fine
# for a cluster that lives as long as a test session and that nobody else can reach
# by socket.  initdb refuses to run as root, so as root the cluster is created and run
# as the unprivileged user $PG_TEST_USER (default tumen-pg, created if missing; falls
# back to nobody).  Extra server settings go in $PG_TEST_OPTS (e.g. "-c fsync=off").
#
# Exit codes: 0 ok, 3 no PostgreSQL binaries (callers skip), 1 anything else.
set -euo pipefail

die() { echo "pg-test-cluster: $*" >&2; exit "${2:-1}"; }

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then echo "$PG_BINDIR"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return
  fi
  return 1
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Run a command as the cluster's owner (root cannot own a cluster).
as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

pick_owner() {
  OWNER=$(id -un)
  if [ "$(id -u)" = "0" ]; then
    OWNER=${PG_TEST_USER:-tumen-pg}
    if ! id "$OWNER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER" >/dev/null 2>&1 \
        || OWNER=nobody
    fi
  fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|url DIR [PORT]"
BINDIR=$(find_bindir) || die "no PostgreSQL binaries (initdb, pg_ctl) found; install the postgresql package" 3

case "$cmd" in
  start)
    pick_owner
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    port=${3:-$(free_port)}
    if [ "$(id -u)" = "0" ]; then
      chown "$OWNER" "$dir"
      chmod 700 "$dir"
    fi
    as_owner "$BINDIR/initdb" -D "$dir/data" -U tumen --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
    # shellcheck disable=SC2086
    as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir ${PG_TEST_OPTS:-}" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "the server did not start (port $port)"; }
    echo "$port" >"$dir/port"
    echo "postgresql://tumen@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] || exit 0
    pick_owner
    OWNER=$(stat -c %U "$dir/data")
    as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  url)
    [ -f "$dir/port" ] || die "no cluster in $dir"
    echo "postgresql://tumen@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
  *)
    die "unknown command $cmd (start, stop, url)"
    ;;
esac
