#!/usr/bin/env bash
# The restore drill (`make drill`; not part of CI): on this machine, a PostgreSQL cluster
# of its own with continuous WAL archiving, a base backup, ratings, a simulated mistake,
# and a point-in-time recovery to one minute before the mistake; then verify_publication
# on the result. Prints the recovery point and the recovery time (docs/deploy.md §6).
#
# Needs PostgreSQL's server packages (pg_createcluster; .ci/run's PostgreSQL) and root
# (the cluster runs as the postgres user). Leaves nothing behind: the drill's cluster
# (DRILL_CLUSTER, default manyi_drill, port DRILL_PORT, default 5499) is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
PGVER=${PGVER:-$(ls /etc/postgresql | sort -n | tail -n1)}
CLUSTER=${DRILL_CLUSTER:-manyi_drill}
PORT=${DRILL_PORT:-5499}
WORK=${DRILL_DIR:-/var/tmp/manyi-drill}
ARCHIVE=$WORK/wal-archive
BASE=$WORK/base-backup
PGBIN=/usr/lib/postgresql/$PGVER/bin
SLUG=2020-epidemic-satisfied-communities   # the demo's published list
umask 077                                   # every backup file 0600, every directory 0700

as_postgres() { runuser -u postgres -- "$@"; }
psql_drill() { as_postgres psql -h 127.0.0.1 -p "$PORT" -d manyi -qtAX -v ON_ERROR_STOP=1 "$@"; }
cleanup() { pg_dropcluster --stop "$PGVER" "$CLUSTER" >/dev/null 2>&1 || true; }
trap cleanup EXIT

export MANYI_NO_DOTENV=1 DEBUG=0 DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/manyi"
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
HOUSEHOLD_CODE_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY HOUSEHOLD_CODE_KEY LOG_FORMAT=text LOG_LEVEL=WARNING

echo "== a cluster of the drill's own: PostgreSQL $PGVER, port $PORT, WAL archived to $ARCHIVE"
cleanup
rm -rf "$WORK"
install -d -o postgres -g postgres -m 0700 "$WORK" "$ARCHIVE"
pg_createcluster "$PGVER" "$CLUSTER" -p "$PORT" -- --auth=trust >/dev/null
CONF=/etc/postgresql/$PGVER/$CLUSTER/conf.d/drill.conf
DATA=$(pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $6}')
cat > "$CONF" <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
archive_mode = on
# What production sets (docs/deploy.md §6): each finished WAL segment copied, 0600.
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f && chmod 0600 $ARCHIVE/%f'
archive_timeout = 15
EOF
chown postgres:postgres "$CONF"
pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" start
as_postgres createdb -h 127.0.0.1 -p "$PORT" manyi

echo "== the app's database: migrate, the demo (a published list, an open campaign)"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py load_demo >/dev/null

echo "== base backup"
as_postgres pg_basebackup -h 127.0.0.1 -p "$PORT" -D "$BASE" -Ft -z -X fetch --checkpoint=fast
chmod -R go-rwx "$BASE"

rate() {  # $1 ratings by new households of the open campaign
  "$PY" manage.py shell -v 0 -c "
from evaluations.households import codes_issue
from evaluations.models import Campaign
from evaluations.ratings import campaign_criteria, rating_submit
campaign = Campaign.objects.filter(status='open').order_by('pk').first()
enrollment = next(e for e in campaign.enrollments.all() if e.households > e.household_codes.count() + $1)
criteria = campaign_criteria(campaign)
for code in codes_issue(enrollment, $1):
    rating_submit(code, overall='satisfied', answers={c.pk: 'satisfied' for c in criteria}, client_ip='203.0.113.1')
"
}

echo "== residents rate"
rate 20
sleep 2
psql_drill -c "SELECT pg_switch_wal()" >/dev/null
sleep 61
TARGET=$(psql_drill -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
GOOD=$(psql_drill -c "SELECT count(*) FROM evaluations_rating")
sleep 60
echo "== more ratings, then the mistake (a table dropped by hand) one minute after $TARGET"
rate 5
MISTAKE=$(psql_drill -c "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
psql_drill -c "DROP TABLE evaluations_ratinganswer CASCADE"
psql_drill -c "SELECT pg_switch_wal()" >/dev/null
sleep 3

echo "== point-in-time recovery to $TARGET (the mistake: $MISTAKE)"
START=$(date +%s.%N)
pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" stop
rm -rf "$DATA"
install -d -o postgres -g postgres -m 0700 "$DATA"
as_postgres tar -xzf "$BASE/base.tar.gz" -C "$DATA"
cat >> "$CONF" <<EOF
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
EOF
as_postgres touch "$DATA/recovery.signal"
pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" start
for _ in $(seq 1 120); do
  [ "$(psql_drill -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = "f" ] && break
  sleep 0.5
done
END=$(date +%s.%N)
RESTORED=$(psql_drill -c "SELECT count(*) FROM evaluations_rating")
ANSWERS=$(psql_drill -c "SELECT count(*) FROM evaluations_ratinganswer")

echo "== verify_publication on the restored database"
"$PY" manage.py verify_publication "$SLUG"
# The audit chain's own check, where this release has it (SPEC: verify_audit).
if "$PY" manage.py help verify_audit >/dev/null 2>&1; then "$PY" manage.py verify_audit; fi

BAD_MODES=$(find "$ARCHIVE" "$BASE" -type f ! -perm 0600 | wc -l)
printf '\nrecovery point: %s (one minute before the mistake at %s)\n' "$TARGET" "$MISTAKE"
printf 'ratings: %s at the recovery point, %s restored, rating answers %s (the dropped table is back)\n' \
  "$GOOD" "$RESTORED" "$ANSWERS"
printf 'recovery time: %.1f s (stop, base backup unpacked, WAL replayed, promoted)\n' \
  "$(python3 -c "print($END - $START)")"
printf 'backup files not 0600: %s\n' "$BAD_MODES"
[ "$GOOD" = "$RESTORED" ] && [ "$BAD_MODES" = 0 ]
