// The orders database: the rendered manifests as a specification, then the rendered scripts run
// against real PostgreSQL servers on loopback — the replica bootstraps itself from the primary
// and streams a new row, the runbook's promote makes it writable, and a backup restores.
import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envEntries as envOf, find } from "./support/repo";
import { objectsOf } from "./support/render";
import { waitFor } from "./support/wait";
import { pgRun, postgresBinDir, removeServerOwnedTempDirs, serverOwnedTempDir, startPostgres, type PostgresServer } from "./support/postgres";

const prod = objectsOf("prod");
const dev = objectsOf("dev");

describe("PostgreSQL in the rendered environments", () => {
  it("prod runs a primary and a replica; dev one instance", () => {
    expect(find(prod, "StatefulSet", "postgres")!.spec.replicas).toBe(2);
    expect(find(dev, "StatefulSet", "postgres")!.spec.replicas).toBe(1);
  });

  it("the data volume is the overview's postgres-pvc of 5Gi, per replica", () => {
    const [claim] = find(prod, "StatefulSet", "postgres")!.spec.volumeClaimTemplates;
    expect(claim.metadata.name).toBe("postgres-pvc");
    expect(claim.spec.resources.requests.storage).toBe("5Gi");
    expect(claim.spec.storageClassName).toBe("standard-rwo");
  });

  it("prod has a read-write Service on the primary and a read-only one on the replica; dev only the first", () => {
    expect(find(prod, "Service", "postgres")!.spec.selector).toEqual({ app: "postgres", "apps.kubernetes.io/pod-index": "0" });
    expect(find(prod, "Service", "postgres-read")!.spec.selector).toEqual({ app: "postgres", "apps.kubernetes.io/pod-index": "1" });
    expect(find(dev, "Service", "postgres-read")).toBeUndefined();
  });

  it("prod dumps the database nightly from the replica; dev has no backup job", () => {
    const cron = find(prod, "CronJob", "postgres-backup")!;
    expect(cron.spec.schedule).toBe("30 2 * * *");
    expect(envOf(cron.spec.jobTemplate.spec.template.spec.containers[0]).PGHOST!.value).toBe("postgres-read");
    expect(find(dev, "CronJob", "postgres-backup")).toBeUndefined();
  });

  it("its pods start in parallel, so the primary ordinal's init can wait for a peer that starts beside it, up to 30 s", () => {
    const statefulSet = find(prod, "StatefulSet", "postgres")!;
    expect(statefulSet.spec.podManagementPolicy).toBe("Parallel");
    expect(envOf(statefulSet.spec.template.spec.initContainers[0]).PEER_WAIT_SECONDS!.value).toBe("30");
  });

  it("every password comes from the postgres-secret Secret", () => {
    for (const object of [find(prod, "StatefulSet", "postgres")!, find(prod, "StatefulSet", "order-persistence")!]) {
      for (const container of [...(object.spec.template.spec.initContainers ?? []), ...object.spec.template.spec.containers]) {
        for (const [name, entry] of Object.entries(envOf(container))) {
          if (/PASSWORD|PASS$/.test(name)) expect(entry.valueFrom?.secretKeyRef?.name, `${object.metadata.name} ${name}`).toBe("postgres-secret");
        }
      }
    }
  });
});

// --- real engines --------------------------------------------------------------------------

// Every character class an operator might paste: the scripts pass it through libpq's environment
// and psql variables, never through a shell word, a connection string or SQL text.
const replicationPassword = `test only 'repl' "pass",=#;\\$(x)`;
let primary: PostgresServer;
let replica: PostgresServer | undefined;
let scriptsDir: string;

/** Runs a rendered script as the server's user, with the PostgreSQL client programs on PATH. */
function runScript(name: string, env: Record<string, string>, ...args: string[]): string {
  return pgRun("/bin/sh", [join(scriptsDir, name), ...args], { env: { PATH: `${postgresBinDir()}:${process.env.PATH}`, ...env } });
}

/** Starts a rendered script as the server's user without waiting; resolves with its exit code, stderr and run time. */
function startScript(name: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string; ms: number }> {
  const command = ["/bin/sh", join(scriptsDir, name)];
  const [file, ...args] = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...command] : command;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(file!, args, { cwd: "/", env: { ...process.env, PATH: `${postgresBinDir()}:${process.env.PATH}`, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stderr, ms: Date.now() - started }));
  });
}

const libpq = (server: PostgresServer, database = "orders") => ({ PGHOST: "127.0.0.1", PGPORT: String(server.port), PGUSER: "postgres", PGDATABASE: database });

describe("PostgreSQL primary, replica and runbook with real servers", () => {
  beforeAll(async () => {
    scriptsDir = serverOwnedTempDir("pg-scripts-");
    const scripts = find(prod, "ConfigMap", "postgres-scripts")!.data as Record<string, string>;
    for (const [name, text] of Object.entries(scripts)) writeFileSync(join(scriptsDir, name), text);
    primary = await startPostgres();
    primary.sql("CREATE DATABASE orders");
    primary.sql("CREATE TABLE carts_seen (id integer PRIMARY KEY, note text)", "orders");
  }, 60_000);

  afterAll(() => {
    try {
      replica?.destroy();
      primary?.destroy();
    } finally {
      removeServerOwnedTempDirs();
    }
  });

  it("the primary's init script creates the replication role", () => {
    const init = find(prod, "StatefulSet", "postgres")!.spec.template.spec.containers[0];
    // Over the Unix socket, as in the image's first start (its temporary server listens on nothing else).
    runScript("init-replication.sh", { ...libpq(primary, "postgres"), PGHOST: primary.socketDir, POSTGRES_USER: "postgres", POSTGRES_DB: "postgres", REPLICATION_USER: envOf(init).REPLICATION_USER!.value, REPLICATION_PASSWORD: replicationPassword, PGDATA: primary.dataDir });
    primary.sql("SELECT pg_reload_conf()");
    expect(primary.sql("SELECT rolreplication FROM pg_roles WHERE rolname = 'replicator'").trim()).toBe("t");
  });

  it("a new replica bootstraps itself with pg_basebackup and a slot, then streams a row written on the primary", async () => {
    const bootstrap = envOf(find(prod, "StatefulSet", "postgres")!.spec.template.spec.initContainers[0]);
    const dataDir = join(serverOwnedTempDir("pg-replica-"), "data");
    runScript("bootstrap-replica.sh", {
      POD_NAME: "postgres-1",
      PRIMARY_ORDINAL: bootstrap.PRIMARY_ORDINAL!.value,
      PRIMARY_HOST: "127.0.0.1",
      PRIMARY_PORT: String(primary.port),
      REPLICATION_USER: bootstrap.REPLICATION_USER!.value,
      REPLICATION_PASSWORD: replicationPassword,
      PGDATA: dataDir,
    });
    replica = await startPostgres({ dataDir });
    expect(replica.sql("SELECT pg_is_in_recovery()").trim()).toBe("t");
    expect(primary.sql("SELECT slot_name || ' ' || active FROM pg_replication_slots").trim()).toBe("replica_1 true");

    const written = Date.now();
    primary.sql("INSERT INTO carts_seen VALUES (1, 'written on the primary')", "orders");
    const seen = await waitFor("the row on the replica", () => (replica!.sql("SELECT note FROM carts_seen WHERE id = 1", "orders").trim() === "written on the primary" ? Date.now() : undefined));
    const lag = primary.sql("SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0)::int FROM pg_stat_replication").trim();
    console.log(`postgres replica: row visible after ${seen - written} ms; replay_lag ${lag} ms`);
    expect(() => replica!.sql("INSERT INTO carts_seen VALUES (2, 'x')", "orders")).toThrow(/read-only transaction/);
  }, 60_000);

  it("a former primary is never started beside the new one: the bootstrap script refuses it", () => {
    expect(() => runScript("bootstrap-replica.sh", { POD_NAME: "postgres-1", PRIMARY_ORDINAL: "0", PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primary.port), REPLICATION_USER: "replicator", REPLICATION_PASSWORD: replicationPassword, PGDATA: primary.dataDir })).toThrow(/holds a former primary/);
  });

  /** postgres-0's init's environment, its peer (postgres-1) on loopback at the replica's port. */
  const primaryInitEnv = (peerWaitSeconds = 30) => ({ POD_NAME: "postgres-0", PRIMARY_ORDINAL: "0", PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primary.port), PEER_HOSTS: "postgres-0.postgres-headless 127.0.0.1", PEER_PORT: String(replica!.port), PEER_WAIT_SECONDS: String(peerWaitSeconds), REPLICATION_USER: "replicator", REPLICATION_PASSWORD: replicationPassword, PGDATA: primary.dataDir });
  const primaryInit = () => runScript("bootstrap-replica.sh", primaryInitEnv());

  it("the primary is left alone by the bootstrap script (it is the primary, and no peer is on a newer timeline)", () => {
    expect(primaryInit()).toBe("");
  });

  it("backup.sh dumps the database and restore.sh restores it into an empty one", () => {
    const backups = serverOwnedTempDir("pg-backups-");
    runScript("backup.sh", { ...libpq(primary), BACKUP_DIR: backups, RETENTION_DAYS: "7" });
    const dump = pgRun("/bin/sh", ["-c", `ls ${backups}/orders-*.dump`]).trim();
    expect(dump).toMatch(/orders-\d{8}T\d{6}Z\.dump$/);
    primary.sql("CREATE DATABASE restored");
    runScript("restore.sh", libpq(primary, "restored"), dump);
    expect(primary.sql("SELECT note FROM carts_seen WHERE id = 1", "restored").trim()).toBe("written on the primary");
  });

  it("the runbook's promote makes the replica a writable primary", () => {
    runScript("promote.sh", libpq(replica!, "postgres"));
    expect(replica!.sql("SELECT pg_is_in_recovery()").trim()).toBe("f");
    replica!.sql("INSERT INTO carts_seen VALUES (3, 'written after the promotion')", "orders");
    expect(replica!.sql("SELECT count(*) FROM carts_seen", "orders").trim()).toBe("2");
    expect(() => runScript("promote.sh", libpq(replica!, "postgres"))).toThrow(/already a primary/);
  });

  /** postgres-1's init after its promotion while the settings still name postgres-0 (between steps 1 and 2); its peer postgres-0 at `peerPort`. */
  const promotedInitEnv = (dataDir: string, peerPort: number, peerWaitSeconds = 30) => ({ POD_NAME: "postgres-1", PRIMARY_ORDINAL: "0", PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primary.port), PEER_HOSTS: "127.0.0.1 postgres-1.postgres-headless", PEER_PORT: String(peerPort), PEER_WAIT_SECONDS: String(peerWaitSeconds), REPLICATION_USER: "replicator", REPLICATION_PASSWORD: replicationPassword, PGDATA: dataDir });

  it("the promoted replica, restarted before the settings name it, starts as the primary: promote.sh marked its data and its peer is on an older timeline", async () => {
    expect(existsSync(join(replica!.dataDir, "promoted-by-runbook"))).toBe(true);
    const run = await startScript("bootstrap-replica.sh", promotedInitEnv(replica!.dataDir, primary.port));
    expect(run.stderr).toContain("bootstrap-replica: postgres-1 was promoted by the runbook and stays the primary until the settings name it");
    expect(run.status).toBe(0);
  });

  it("a promoted mark never brings back data a peer has moved past: a marked directory on an older timeline than its peer is refused", async () => {
    // The former primary's data (timeline 1) carrying a mark, as a second failover would leave it; its peer is on timeline 2.
    const mark = join(primary.dataDir, "promoted-by-runbook");
    writeFileSync(mark, "2026-01-01T00:00:00Z\n");
    try {
      const run = await startScript("bootstrap-replica.sh", promotedInitEnv(primary.dataDir, replica!.port));
      expect(run.stderr).toContain("127.0.0.1 is on timeline 2, newer than this promoted primary's 1: a replica was promoted. Not starting");
      expect(run.status).toBe(1);
    } finally {
      rmSync(mark);
    }
  });

  it("when both pods restart between steps 1 and 2, the promoted one starts first (a third of the wait) and the former primary's init then refuses", async () => {
    replica!.stop();
    primary.stop();
    try {
      const formerPrimary = startScript("bootstrap-replica.sh", primaryInitEnv(9));
      const promoted = await startScript("bootstrap-replica.sh", promotedInitEnv(replica!.dataDir, primary.port, 9));
      expect(promoted.stderr).toContain("no answer from 127.0.0.1 within 3 s");
      expect(promoted.status).toBe(0);
      replica!.start(); // its init let it start
      const refused = await formerPrimary;
      expect(refused.stderr).toContain("127.0.0.1 is on timeline 2, newer than this former primary's 1");
      expect(refused.status).toBe(1);
    } finally {
      primary.start();
    }
  }, 60_000);

  it("a former primary that returns after the promotion, while the settings still name it, refuses to start: split brain is impossible between runbook steps 1 and 2", () => {
    expect(primaryInit).toThrow(/127\.0\.0\.1 is on timeline 2, newer than this former primary's 1: a replica was promoted\. Not starting/);
  });

  it("when both pods restart, a promoted peer that answers only seconds after the former primary's init started is still seen, and the init refuses", async () => {
    replica!.stop();
    const init = startScript("bootstrap-replica.sh", primaryInitEnv());
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    replica!.start();
    const run = await init;
    expect(run.stderr).toMatch(/127\.0\.0\.1 is on timeline 2, newer than this former primary's 1: a replica was promoted\. Not starting/);
    expect(run.status).toBe(1);
    expect(run.ms).toBeGreaterThanOrEqual(4_000);
  }, 60_000);

  it("when no peer answers within PEER_WAIT_SECONDS (on the clock), the primary ordinal starts and says it did not hear from them", async () => {
    replica!.stop();
    const run = await startScript("bootstrap-replica.sh", primaryInitEnv(3));
    expect(run.stderr).toContain("bootstrap-replica: no answer from 127.0.0.1 within 3 s; starting as the primary on timeline 1 without knowing their timelines");
    expect(run.status).toBe(0);
    // The deadline is kept in whole seconds (date +%s): at least 2 s of a 3 s wait have passed.
    expect(run.ms).toBeGreaterThanOrEqual(2_000);
    expect(run.ms).toBeLessThan(10_000);
  }, 60_000);
});
