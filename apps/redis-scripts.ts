// Start-up and shutdown scripts of the Redis Sentinel setup, rendered into the redis-scripts
// ConfigMap. Sentinel rewrites its configuration file at run time, and Redis' replication target
// depends on who is master now, so each pod's configuration is written by an init container into
// a writable volume instead of being mounted read-only from the ConfigMap.
// Everything a script needs comes from environment variables, so tests run the very same
// scripts against local redis-server and redis-sentinel processes.

const mebibyte = 1024 * 1024;

/**
 * Settings every Redis pod shares; the init script appends the pod-specific ones. Memory budget
 * inside the container limit: the dataset (maxmemory, 3/8 of the limit) can double while a fork
 * writes the AOF rewrite or a full resync (copy-on-write), plus two replicas' output buffers (1/16
 * each at most) and Redis' own ~10 MiB: 3/4 + 1/8 of the limit + 10 MiB, never an OOM kill.
 */
export function redisConf(memoryLimitBytes: number): string {
  const mib = (fraction: number) => `${Math.floor((memoryLimitBytes * fraction) / mebibyte)}mb`;
  return `# Carts live in memory, capped well below the container's limit (evicting the oldest carts,
# never being OOM-killed, even while a fork rewrites the AOF). The append-only file lets a
# restarted container come back with its carts; a pod recreated on an empty volume is handled by
# the init script (it never serves as master while a peer holds the carts).
bind * -::*
protected-mode no
maxmemory ${mib(3 / 8)}
maxmemory-policy allkeys-lru
client-output-buffer-limit replica ${mib(1 / 16)} ${mib(1 / 32)} 60
save ""
appendonly yes
appendfsync everysec
aof-use-rdb-preamble yes
auto-aof-rewrite-percentage 100
auto-aof-rewrite-min-size ${mib(1 / 16)}
dir /data
replica-read-only yes
`;
}

/**
 * Refuses a password the setup cannot carry: cartservice's StackExchange.Redis connection string
 * splits on "," and "=", redis.conf on spaces and "#". Hex from `openssl rand -hex 32` always fits.
 */
const passwordCheck = (script: string) => `case "$REDIS_PASSWORD" in
  *[!A-Za-z0-9._~-]*) password_ok=no ;;
  *) password_ok=yes ;;
esac
if [ "$password_ok" = no ] || [ "\${#REDIS_PASSWORD}" -lt 16 ]; then
  echo "${script}: Secret redis-auth: the password must be at least 16 characters of A-Z a-z 0-9 . _ ~ - (cartservice's connection string splits on , and =; redis.conf on spaces and #). Create it with: openssl rand -hex 32" >&2
  exit 1
fi
# redis-cli reads the password from the environment: never on a command line that ps shows.
export REDISCLI_AUTH="$REDIS_PASSWORD"
ask() { host="$1"; port="$2"; shift 2; timeout 3 redis-cli -h "$host" -p "$port" "$@" 2>/dev/null || true; }
answered() { case "$1" in ""|*ERR*|*rror*|*Could*|*NOAUTH*|*WRONGPASS*|*LOADING*) return 1 ;; esac; }
sentinel_master() { ask "$SENTINEL_HOST" "$SENTINEL_PORT" sentinel get-master-addr-by-name "$MASTER_NAME" | head -n 1; }
`;

/**
 * Init script of a Redis pod. Env: SELF_HOST (this pod's DNS name), REDIS_PEERS (every Redis pod's
 * name), REDIS_PORT, INITIAL_MASTER_HOST, SENTINEL_HOST, SENTINEL_PORT, MASTER_NAME, REDIS_PASSWORD,
 * DATA_DIR, FAILOVER_WAIT_SECONDS, CONF_DIR, BASE_CONF.
 */
export const redisInitScript = `#!/bin/sh
# Writes $CONF_DIR/redis.conf: the shared settings, this pod's announced name (a restarted pod
# keeps its name, not its IP), the password, and whom to replicate: the master the sentinels name;
# if no sentinel answers, the Redis pod that says it is master; only when nobody answers (the
# cluster's first start) INITIAL_MASTER_HOST.
set -eu
${passwordCheck("redis-init")}
peer_master() {
  for peer in $REDIS_PEERS; do
    [ "$peer" = "$SELF_HOST" ] && continue
    case "$(ask "$peer" "$REDIS_PORT" info replication)" in *role:master*) echo "$peer"; return ;; esac
  done
}
peer_alive() {
  for peer in $REDIS_PEERS; do
    [ "$peer" = "$SELF_HOST" ] && continue
    [ "$(ask "$peer" "$REDIS_PORT" ping)" = PONG ] && return 0
  done
  return 1
}

master="$(sentinel_master)"
if ! answered "$master"; then
  master="$(peer_master)"
  [ -n "$master" ] || master="$INITIAL_MASTER_HOST"
fi

# Back on an empty volume (the pod was recreated) while peers still hold the carts: serving as
# master now would hand the replicas an empty dataset. Have the sentinels promote a replica first.
if [ "$master" = "$SELF_HOST" ] && [ -z "$(ls -A "$DATA_DIR" 2>/dev/null)" ] && peer_alive; then
  echo "redis-init: $SELF_HOST is named master but its volume is empty and peers hold the carts; asking the sentinels to fail over" >&2
  # A deadline on the clock: one pass (sleep 1 and a sentinel asked with timeout 3) can take seconds.
  # The request is repeated while this pod is still named master: a sentinel refuses it while an
  # earlier failover is still reconfiguring the replicas (INPROG).
  started=$(date +%s)
  while :; do
    master="$(sentinel_master)"
    if answered "$master" && [ "$master" != "$SELF_HOST" ]; then break; fi
    if [ "$master" = "$SELF_HOST" ]; then ask "$SENTINEL_HOST" "$SENTINEL_PORT" sentinel failover "$MASTER_NAME" >/dev/null; fi
    if [ $(( $(date +%s) - started )) -ge "$FAILOVER_WAIT_SECONDS" ]; then
      echo "redis-init: no other master after $(( $(date +%s) - started ))s; exiting so that the kubelet retries (never starting empty as master)" >&2
      exit 1
    fi
    sleep 1
  done
fi

mkdir -p "$CONF_DIR"
{
  cat "$BASE_CONF"
  echo "port $REDIS_PORT"
  echo "requirepass $REDIS_PASSWORD"
  echo "masterauth $REDIS_PASSWORD"
  echo "replica-announce-ip $SELF_HOST"
  if [ "$master" != "$SELF_HOST" ]; then echo "replicaof $master $REDIS_PORT"; fi
} > "$CONF_DIR/redis.conf.tmp"
mv "$CONF_DIR/redis.conf.tmp" "$CONF_DIR/redis.conf"
echo "redis-init: $SELF_HOST, master $master" >&2
`;

/**
 * preStop of the Redis container. Env: SELF_HOST, LOCAL_HOST (default 127.0.0.1), REDIS_PORT, SENTINEL_HOST,
 * SENTINEL_PORT, MASTER_NAME, REDIS_PASSWORD, HANDOVER_WAIT_SECONDS.
 */
export const redisPreStopScript = `#!/bin/sh
# A master hands over before it stops: the sentinels promote a replica while this one still
# serves, so no write waits for a dead master to be noticed, and the pod that comes back (on an
# empty volume) finds a new master in place. A replica stops as it is.
set -u
${passwordCheck("redis-prestop")}
local_host="\${LOCAL_HOST:-127.0.0.1}"
case "$(ask "$local_host" "$REDIS_PORT" info replication)" in *role:master*) ;; *) exit 0 ;; esac
answer="$(ask "$SENTINEL_HOST" "$SENTINEL_PORT" sentinel failover "$MASTER_NAME")"
if [ "$answer" != OK ]; then
  echo "redis-prestop: the sentinels did not start a failover ($answer); stopping as master" >&2
  exit 0
fi
# A deadline on the clock: one pass (sleep 1 and up to three calls with timeout 3) can take seconds.
started=$(date +%s)
while [ $(( $(date +%s) - started )) -lt "$HANDOVER_WAIT_SECONDS" ]; do
  case "$(ask "$local_host" "$REDIS_PORT" info replication)" in
    *role:slave*) echo "redis-prestop: handed over after $(( $(date +%s) - started ))s" >&2; exit 0 ;;
  esac
  # The sentinels demote the old master only on their next slow poll (10 s): once they name the new
  # master, follow it at once, so that no client writes here what the new master never sees.
  promoted="$(sentinel_master)"
  if answered "$promoted" && [ "$promoted" != "$SELF_HOST" ]; then
    ask "$local_host" "$REDIS_PORT" replicaof "$promoted" "$REDIS_PORT" >/dev/null
  fi
  sleep 1
done
echo "redis-prestop: still master after $(( $(date +%s) - started ))s; stopping anyway" >&2
`;

/**
 * Init script of a sentinel pod. Env: SELF_HOST, SENTINEL_PEERS (space-separated names of all
 * sentinels), SENTINEL_PORT, REDIS_PORT, INITIAL_MASTER_HOST, MASTER_NAME, QUORUM, DOWN_AFTER_MS,
 * FAILOVER_TIMEOUT_MS, REDIS_PASSWORD, CONF_DIR.
 */
export const sentinelInitScript = `#!/bin/sh
# Writes $CONF_DIR/sentinel.conf (Sentinel rewrites it later, hence a writable volume). A
# restarted sentinel asks its peers for the current master instead of assuming the first one.
set -eu
${passwordCheck("sentinel-init")}
master=""
for peer in $SENTINEL_PEERS; do
  [ "$peer" = "$SELF_HOST" ] && continue
  answer="$(ask "$peer" "$SENTINEL_PORT" sentinel get-master-addr-by-name "$MASTER_NAME" | head -n 1)"
  if answered "$answer"; then master="$answer"; break; fi
done
[ -n "$master" ] || master="$INITIAL_MASTER_HOST"
mkdir -p "$CONF_DIR"
cat > "$CONF_DIR/sentinel.conf.tmp" <<CONF
port $SENTINEL_PORT
dir $CONF_DIR
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $SELF_HOST
requirepass $REDIS_PASSWORD
sentinel sentinel-pass $REDIS_PASSWORD
sentinel monitor $MASTER_NAME $master $REDIS_PORT $QUORUM
sentinel auth-pass $MASTER_NAME $REDIS_PASSWORD
sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS
sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $MASTER_NAME 1
CONF
mv "$CONF_DIR/sentinel.conf.tmp" "$CONF_DIR/sentinel.conf"
echo "sentinel-init: $SELF_HOST monitors $master" >&2
`;
