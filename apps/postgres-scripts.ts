// Scripts of the PostgreSQL StatefulSet and its runbook, rendered into the postgres-scripts
// ConfigMap. They take everything from environment variables (libpq's PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE and the ones named below), so the tests run these very scripts
// against local PostgreSQL servers, and the runbook runs them with `kubectl exec`.

/** File promote.sh leaves in the data directory of the replica it promoted. */
const promotedMark = "promoted-by-runbook";

/**
 * Init container of every postgres pod. Env: POD_NAME, PRIMARY_ORDINAL, PRIMARY_HOST,
 * PRIMARY_PORT, PEER_HOSTS (the other pods' names), PEER_PORT, PEER_WAIT_SECONDS, REPLICATION_USER,
 * REPLICATION_PASSWORD, PGDATA.
 */
export const bootstrapReplicaScript = `#!/bin/sh
# Makes a pod that is not the primary a streaming replica, once: an empty data directory is
# filled by pg_basebackup. -R writes standby.signal and primary_conninfo; -C -S creates this
# replica's replication slot, so the primary keeps the WAL the replica has not received yet;
# a fast checkpoint starts the copy at once instead of after the next spread checkpoint.
set -eu
ordinal="\${POD_NAME##*-}"
export PGPASSWORD="$REPLICATION_PASSWORD"

# Exits 1 when a peer serves a newer timeline than this data directory: starting it as a primary
# would split the orders in two. Peers start beside this pod (podManagementPolicy Parallel) and may
# take a while: each is asked until it answers or $1 seconds have passed (a deadline on the clock:
# one round of asking can take seconds). A peer that never answers may be gone for good, so the
# caller then starts, and says so. $2 names this data directory in the messages.
refuse_if_a_peer_is_newer() {
  own="$(pg_controldata "$PGDATA" | sed -n "s/^Latest checkpoint's TimeLineID: *//p")"
  waiting=""
  for peer in $PEER_HOSTS; do
    case "$peer" in "$POD_NAME".*) continue ;; esac
    waiting="$waiting $peer"
  done
  deadline=$(( $(date +%s) + $1 ))
  while [ -n "$waiting" ]; do
    unanswered=""
    for peer in $waiting; do
      peer_timeline="$(psql "host=$peer port=$PEER_PORT user=$REPLICATION_USER dbname=replication replication=true connect_timeout=3" -Atc "IDENTIFY_SYSTEM" 2>/dev/null | cut -d '|' -f 2 || true)"
      if [ -z "$peer_timeline" ]; then unanswered="$unanswered $peer"; continue; fi
      if [ "$peer_timeline" -gt "$own" ]; then
        echo "bootstrap-replica: $peer is on timeline $peer_timeline, newer than this $2's $own: a replica was promoted. Not starting; finish the failover (README runbook: set dataTier.postgresPrimary, then rebuild this pod)" >&2
        exit 1
      fi
    done
    waiting="$unanswered"
    [ -n "$waiting" ] || break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "bootstrap-replica: no answer from$waiting within $1 s; starting as the primary on timeline $own without knowing their timelines (if a replica was promoted, stop this pod: README runbook)" >&2
      break
    fi
    sleep 1
  done
}

if [ "$ordinal" = "$PRIMARY_ORDINAL" ]; then
  # The settings still name this pod primary, but a replica may have been promoted since (runbook
  # step 1, before step 2 moves the settings).
  if [ -s "$PGDATA/PG_VERSION" ] && [ ! -f "$PGDATA/standby.signal" ]; then refuse_if_a_peer_is_newer "$PEER_WAIT_SECONDS" "former primary"; fi
  echo "bootstrap-replica: $POD_NAME is the primary" >&2
  exit 0
fi
if [ -s "$PGDATA/PG_VERSION" ]; then
  if [ -f "$PGDATA/standby.signal" ]; then echo "bootstrap-replica: $PGDATA is already a replica" >&2; exit 0; fi
  if [ -f "$PGDATA/${promotedMark}" ]; then
    # Promoted by the runbook (step 1) while the settings still name another pod (until step 2):
    # this is the primary now, unless a peer has moved on to a newer timeline since. It asks for a
    # third of the primary ordinal's wait, so that after a restart of both pods it is up and
    # answering well before the former primary's init gives up on its peers.
    refuse_if_a_peer_is_newer "$(( PEER_WAIT_SECONDS / 3 ))" "promoted primary"
    echo "bootstrap-replica: $POD_NAME was promoted by the runbook and stays the primary until the settings name it (dataTier.postgresPrimary)" >&2
    exit 0
  fi
  # A former primary must never come back beside the new one (two writable copies of the orders).
  echo "bootstrap-replica: $PGDATA holds a former primary; delete this pod's volume to rebuild it as a replica (README runbook)" >&2
  exit 1
fi
slot="replica_$ordinal"
until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do echo "bootstrap-replica: waiting for $PRIMARY_HOST" >&2; sleep 2; done
mkdir -p "$PGDATA"
chmod 700 "$PGDATA"
if ! out="$(pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$PGDATA" -R -X stream -c fast -C -S "$slot" 2>&1)"; then
  # A replica rebuilt after a failure finds its slot still there: reuse it.
  case "$out" in *"already exists"*) ;; *) echo "$out" >&2; exit 1 ;; esac
  rm -rf "$PGDATA"/* "$PGDATA"/.[!.]* 2>/dev/null || true
  pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$PGDATA" -R -X stream -c fast -S "$slot"
fi
echo "bootstrap-replica: $POD_NAME streams from $PRIMARY_HOST through slot $slot" >&2
`;

/**
 * Runs once when the official image initialises a new data directory (docker-entrypoint-initdb.d),
 * which happens only on the primary: replicas start from a base backup. Env: POSTGRES_USER,
 * POSTGRES_DB, REPLICATION_USER, REPLICATION_PASSWORD, PGDATA.
 */
export const initReplicationScript = `#!/bin/sh
# The replication role, and the pg_hba line that lets it stream from other pods.
psql -v ON_ERROR_STOP=1 -v user="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE :"user" WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication $REPLICATION_USER all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;

/** Runbook: promote the replica to primary (run in the replica's pod). Env: libpq's. */
export const promoteScript = `#!/bin/sh
# Ends recovery on this replica: it becomes a primary that accepts writes. Waits up to 60 s. The
# mark in its data directory tells this pod's init, should the pod restart before the settings
# name it primary, that its data is the promoted primary's and not a former primary's.
set -eu
state="$(psql -v ON_ERROR_STOP=1 -Atc "SELECT pg_is_in_recovery()")"
if [ "$state" != "t" ]; then echo "promote: this server is already a primary" >&2; exit 1; fi
[ "$(psql -v ON_ERROR_STOP=1 -Atc "SELECT pg_promote(true, 60)")" = "t" ]
data_directory="$(psql -v ON_ERROR_STOP=1 -Atc "SHOW data_directory")"
date -u +%Y-%m-%dT%H:%M:%SZ > "$data_directory/${promotedMark}"
echo "promote: $(hostname) is now the primary" >&2
`;

/** Nightly backup (CronJob) and manual runs. Env: libpq's, BACKUP_DIR, RETENTION_DAYS. */
export const backupScript = `#!/bin/sh
# A custom-format dump (restorable table by table with pg_restore), then old dumps pruned.
set -eu
file="$BACKUP_DIR/$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --file="$file.partial"
mv "$file.partial" "$file"
find "$BACKUP_DIR" -name "$PGDATABASE-*.dump" -mtime +"$RETENTION_DAYS" -delete
echo "backup: wrote $file ($(wc -c < "$file") bytes)" >&2
`;

/** Runbook: restore a dump into the database (run in the primary's pod). Env: libpq's. Argument: the dump file. */
export const restoreScript = `#!/bin/sh
# Replaces the database's objects with the dump's, in one transaction: all or nothing.
set -eu
[ -f "\${1:-}" ] || { echo "usage: restore.sh <dump file>" >&2; exit 2; }
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname="$PGDATABASE" "$1"
echo "restore: $PGDATABASE restored from $1" >&2
`;

/**
 * Grafana's access to PostgreSQL, idempotent (the postgres-grafana-access Job runs it after every
 * sync of the data group). Env: libpq's, as the orders database's owner (the image's superuser);
 * READER_USER and READER_PASSWORD; in production also GRAFANA_DATABASE, GRAFANA_USER and
 * GRAFANA_PASSWORD.
 */
export const grafanaAccessScript = `#!/bin/sh
# The order analytics dashboard reads the orders database as a role that can do nothing else:
# SELECT on its tables (those the order service creates later too), read-only transactions, a
# statement timeout and few connections, so a dashboard cannot slow the shop's writes for long.
# In production Grafana's two replicas share a database of their own, owned by Grafana's role,
# which no other role may connect to. Passwords are set on every run: rotating the Secret and
# syncing rotates them. psql reads them from the environment (\\getenv), never the command line.
set -eu
psql -v ON_ERROR_STOP=1 -q <<'SQL'
\\getenv reader_user READER_USER
\\getenv reader_password READER_PASSWORD
SELECT format('CREATE ROLE %I', :'reader_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader_user') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10 PASSWORD %L', :'reader_user', :'reader_password') \\gexec
SELECT format('ALTER ROLE %I SET default_transaction_read_only = on', :'reader_user') \\gexec
SELECT format('ALTER ROLE %I SET statement_timeout = %L', :'reader_user', '30s') \\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader_user') \\gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'reader_user') \\gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', :'reader_user') \\gexec
SELECT format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %I', :'reader_user') \\gexec
SQL
echo "grafana-access: $READER_USER reads $PGDATABASE" >&2
[ -n "\${GRAFANA_DATABASE:-}" ] || exit 0
psql -v ON_ERROR_STOP=1 -q <<'SQL'
\\getenv grafana_database GRAFANA_DATABASE
\\getenv grafana_user GRAFANA_USER
\\getenv grafana_password GRAFANA_PASSWORD
SELECT format('CREATE ROLE %I', :'grafana_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'grafana_user') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20 PASSWORD %L', :'grafana_user', :'grafana_password') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'grafana_database', :'grafana_user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'grafana_database') \\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'grafana_database', :'grafana_user') \\gexec
SELECT format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', :'grafana_database') \\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'grafana_database', :'grafana_user') \\gexec
SQL
echo "grafana-access: $GRAFANA_USER owns $GRAFANA_DATABASE" >&2
`;
