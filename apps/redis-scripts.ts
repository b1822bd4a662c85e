// Start-up scripts of the Redis Sentinel setup, rendered into the redis-scripts ConfigMap.
// Sentinel rewrites its configuration file at run time, and Redis' replication target depends on
// who is master now, so each pod's configuration is written by an init container into a
// writable volume instead of being mounted read-only from the ConfigMap.
// Everything a script needs comes from environment variables, so tests run the very same
// scripts against local redis-server and redis-sentinel processes.

/** Settings every Redis pod shares; the init script appends the pod-specific ones. */
export const redisConf = `# Carts live in memory, capped below the container's limit (evicting the oldest carts, never
# being OOM-killed). An append-only file on the pod's own volume lets a restarted container come
# back with its carts: an empty master would otherwise hand emptiness to its replicas before the
# sentinels notice anything.
bind * -::*
protected-mode no
maxmemory 200mb
maxmemory-policy allkeys-lru
save ""
appendonly yes
dir /data
replica-read-only yes
`;

/**
 * Init script of a Redis pod. Env: SELF_HOST (this pod's DNS name), REDIS_PORT,
 * INITIAL_MASTER_HOST, SENTINEL_HOST, SENTINEL_PORT, MASTER_NAME, REDIS_PASSWORD, CONF_DIR, BASE_CONF.
 */
export const redisInitScript = `#!/bin/sh
# Writes $CONF_DIR/redis.conf: the shared settings, this pod's announced name (a restarted pod
# keeps its name, not its IP), the password, and whom to replicate. The master is whoever the
# sentinels say; before any sentinel knows (first start of the cluster) it is INITIAL_MASTER_HOST.
set -eu
master="$(redis-cli --no-auth-warning -a "$REDIS_PASSWORD" -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1 || true)"
case "$master" in ""|*ERR*|*error*|*Could*) master="$INITIAL_MASTER_HOST" ;; esac
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
 * Init script of a sentinel pod. Env: SELF_HOST, SENTINEL_PEERS (space-separated names of all
 * sentinels), SENTINEL_PORT, REDIS_PORT, INITIAL_MASTER_HOST, MASTER_NAME, QUORUM, DOWN_AFTER_MS,
 * FAILOVER_TIMEOUT_MS, REDIS_PASSWORD, CONF_DIR.
 */
export const sentinelInitScript = `#!/bin/sh
# Writes $CONF_DIR/sentinel.conf (Sentinel rewrites it later, hence a writable volume). A
# restarted sentinel asks its peers for the current master instead of assuming the first one.
set -eu
master=""
for peer in $SENTINEL_PEERS; do
  [ "$peer" = "$SELF_HOST" ] && continue
  answer="$(redis-cli --no-auth-warning -a "$REDIS_PASSWORD" -h "$peer" -p "$SENTINEL_PORT" sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1 || true)"
  case "$answer" in ""|*ERR*|*error*|*Could*) ;; *) master="$answer"; break ;; esac
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
