#!/usr/bin/env bash
# Backup create / restore against bare pg_dump -Fc / pg_restore on one PostgreSQL database
# (docs/BENCHMARKS.md, "Backups"). Not part of the test suite: it needs a large database.
#
#   tests/benches/backup_restore.sh BIN ADMIN_URL DB [ROUNDS]
#
# BIN: the autoorder binary (a release build for published figures); ADMIN_URL: a
# postgres:// URL of a role that may create databases, ending in /postgres; DB: the database
# to back up (generate it with the SQL in docs/BENCHMARKS.md). Scratch databases
# ${DB}_bare and ${DB}_ours and a work directory are removed at the end.
set -euo pipefail
BIN=$1 ADMIN=$2 DB=$3 ROUNDS=${4:-2}
BASE=${ADMIN%/*}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql "$ADMIN" -qc "DROP DATABASE IF EXISTS ${DB}_bare WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${DB}_ours WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
export DATABASE_URL="$BASE/$DB" TELEGRAM_BOT_TOKEN=123456789:AAbench-token-value_0123456789abcdef \
  DATA_DIR="$WORK/data" LOG_DIR="$WORK/logs" BACKUP_LOCAL_DIR="$WORK/backups" \
  BACKUP_ENCRYPTION_PASSWORD="bench passphrase 0123" \
  DATA_ENCRYPTION_KEY=b1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
"$BIN" migrate >/dev/null
secs() { local s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
echo "database: $(psql "$BASE/$DB" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
echo "round | pg_dump -Fc | backup create | pg_restore | backup restore | restore ratio"
for round in $(seq 1 "$ROUNDS"); do
  rm -rf "$WORK/backups" "$WORK/bare.dump"
  t_dump=$(secs pg_dump -Fc -f "$WORK/bare.dump" "$BASE/$DB")
  t_create=$(secs "$BIN" backup create --reason bench)
  id=$("$BIN" backup list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["backups"][0]["id"])')
  for d in bare ours; do
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS ${DB}_$d WITH (FORCE)" -c "CREATE DATABASE ${DB}_$d" >/dev/null
  done
  t_bare=$(secs pg_restore --no-owner --no-privileges --single-transaction --exit-on-error \
    --dbname "$BASE/${DB}_bare" "$WORK/bare.dump")
  t_ours=$(secs "$BIN" backup restore "$id" --yes --target-url "$BASE/${DB}_ours")
  printf '%s | %.1f s | %.1f s | %.1f s | %.1f s | %.2fx\n' "$round" "$t_dump" "$t_create" \
    "$t_bare" "$t_ours" "$(echo "$t_ours / $t_bare" | bc -l)"
done
echo "sizes: bare dump $(du -h "$WORK/bare.dump" | cut -f1), archive $(du -h "$WORK"/backups/*.age | cut -f1)"
