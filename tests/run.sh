#!/usr/bin/env bash
# Runs the whole test suite on both backends.
#
# PostgreSQL tests never skip: this script makes a server available first. It uses
# AUTOORDER_TEST_PG_URL when that already works; otherwise it starts the local cluster when
# PostgreSQL is installed but stopped, installs it from the Debian packages when missing, and
# creates a test role. Tests then create (and drop) their own throw-away databases.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[tests/run.sh] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root (or sudo) for: $*"; exit 1
  fi
}

apt_install() {
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_works() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }

ensure_build_deps() {
  # diesel's PostgreSQL backend links libpq; SQLite is bundled.
  if ! dpkg -s libpq-dev >/dev/null 2>&1; then apt_install libpq-dev; fi
  if ! command -v cc >/dev/null; then apt_install gcc; fi
  # The backup tests open an archive with the stock age tool, as an operator would.
  if ! command -v age >/dev/null; then apt_install age; fi
}

ensure_postgres() {
  if [ -n "${AUTOORDER_TEST_PG_URL:-}" ] && pg_works "$AUTOORDER_TEST_PG_URL"; then
    log "using AUTOORDER_TEST_PG_URL"; return
  fi
  if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
  fi
  local version port status
  if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    log "creating cluster $version/main"
    as_root pg_createcluster "$version" main >/dev/null
  fi
  read -r version _ port status _ < <(pg_lsclusters -h | head -n1)
  if [ "$status" != "online" ]; then
    log "starting PostgreSQL $version/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  local psql_admin=(runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -Atq)
  [ "$(id -u)" = 0 ] || psql_admin=(sudo -u postgres psql -p "$port" -v ON_ERROR_STOP=1 -Atq)
  "${psql_admin[@]}" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'autoorder_test') THEN
        CREATE ROLE autoorder_test LOGIN CREATEDB PASSWORD 'autoorder_test';
      END IF;
    END \$\$;" >/dev/null
  # Replica tests run several bot processes at once, each with its own pool: the default 100
  # connection slots are too few. Raise them once (a restart of the local test cluster).
  local slots; slots=$("${psql_admin[@]}" -c "SHOW max_connections")
  if [ "${slots:-0}" -lt 300 ]; then
    log "raising max_connections from $slots to 500 (restarting $version/main)"
    "${psql_admin[@]}" -c "ALTER SYSTEM SET max_connections = 500" >/dev/null
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  fi
  export AUTOORDER_TEST_PG_URL="postgres://autoorder_test:autoorder_test@127.0.0.1:${port}/postgres"
  pg_works "$AUTOORDER_TEST_PG_URL" || { log "PostgreSQL is running but $AUTOORDER_TEST_PG_URL does not work"; exit 1; }
  log "PostgreSQL $version ready on port $port"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Backup tests write to S3-compatible storage: a local moto server, never a real bucket.
# They fail (not skip) when it cannot be started.
ensure_s3() {
  if [ -n "${AUTOORDER_TEST_S3_ENDPOINT:-}" ]; then log "using AUTOORDER_TEST_S3_ENDPOINT"; return; fi
  if ! command -v moto_server >/dev/null; then
    command -v pip3 >/dev/null || apt_install python3-pip
    log "installing moto[server] from PyPI"
    pip3 install -q 'moto[server]' >/dev/null 2>&1 || pip3 install -q --break-system-packages 'moto[server]' >/dev/null
  fi
  local port; port=$(free_port)
  moto_server -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/autoorder-moto-$port.log" 2>&1 &
  MOTO_PID=$!
  trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
      export AUTOORDER_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      log "moto S3 server ready on port $port"
      return
    fi
    kill -0 "$MOTO_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "could not start the moto S3 server (see ${TMPDIR:-/tmp}/autoorder-moto-$port.log)"; exit 1
}

ensure_build_deps
ensure_postgres
ensure_s3
cargo test --workspace --locked "$@"
