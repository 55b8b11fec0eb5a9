#!/usr/bin/env bash
# One real PostgreSQL for a whole test suite (a CTest fixture: FIXTURES_SETUP
# runs `start`, FIXTURES_CLEANUP runs `stop`).
#
#   postgres_fixture.sh start STATE_DIR   initdb into a fresh temporary directory,
#                                         start the server listening only on a
#                                         Unix socket in that directory (no TCP
#                                         port, so nothing to collide with),
#                                         create the database crdex_test and
#                                         write its URL to STATE_DIR/url
#   postgres_fixture.sh stop STATE_DIR    stop the server, remove its directory
#
# initdb refuses to run as root: as root the cluster belongs to the `postgres`
# user (Debian's package creates it; else `nobody`) and runs under runuser.
# The database user is `crdex`, a superuser of this throw-away cluster,
# trusted on the socket (the directory is 0700: only its owner and root reach it).
set -euo pipefail

command_name=${1:?usage: postgres_fixture.sh start|stop STATE_DIR}
state_dir=${2:?usage: postgres_fixture.sh start|stop STATE_DIR}
bin_dir=${CRDEX_POSTGRES_BIN:-}
if [ -z "$bin_dir" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/initdb" ] && bin_dir=$candidate; done
fi
[ -n "$bin_dir" ] && [ -x "$bin_dir/initdb" ] || {
  echo "postgres_fixture: no initdb under /usr/lib/postgresql/*/bin (run .ci/install-deps)" >&2
  exit 1
}

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || owner=nobody
  as_owner=(runuser -u "$owner" --)
fi

stop_cluster() {
  local dir=$1
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin_dir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$command_name" in
  start)
    mkdir -p "$state_dir"
    # A cluster a crashed run left behind is stopped first.
    if [ -f "$state_dir/dir" ]; then stop_cluster "$(cat "$state_dir/dir")"; fi
    rm -f "$state_dir/url" "$state_dir/dir"
    dir=$(mktemp -d /tmp/crdex-pg.XXXXXX)
    echo "$dir" > "$state_dir/dir"
    if [ ${#as_owner[@]} -gt 0 ]; then chown "$owner" "$dir"; fi
    "${as_owner[@]}" "$bin_dir/initdb" -D "$dir/data" -U crdex --auth=trust -E UTF8 --no-locale \
      > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    "${as_owner[@]}" "$bin_dir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c fsync=off -c max_connections=100" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    "$bin_dir/createdb" -h "$dir" -U crdex crdex_test
    echo "postgresql://crdex@/crdex_test?host=$dir" > "$state_dir/url"
    echo "PostgreSQL $("$bin_dir/postgres" --version | awk '{print $3}') on $dir"
    ;;
  stop)
    if [ -f "$state_dir/dir" ]; then stop_cluster "$(cat "$state_dir/dir")"; fi
    rm -f "$state_dir/url" "$state_dir/dir"
    ;;
  *)
    echo "usage: postgres_fixture.sh start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
