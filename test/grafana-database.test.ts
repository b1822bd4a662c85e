// Grafana's access to PostgreSQL: the rendered hook Job, and the rendered grafana-access script
// (ConfigMap postgres-scripts) run for real against a real PostgreSQL 15 holding the orders schema of the real
// migrations, with password authentication for every role but the superuser, as in the cluster.
// The order analytics role reads and cannot write; production's Grafana database belongs to
// Grafana's role alone; every run is idempotent and sets the passwords again.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultMigrationsDir } from "../services/order-persistence/src/paths";
import { migrate } from "../services/order-persistence/src/migrate";
import { postgresBinDir, removeServerOwnedTempDirs, serverOwnedTempDir, startPostgres, type PostgresServer } from "./support/postgres";
import { envEntries as envOf, find, repoRoot } from "./support/repo";
import { objectsOf } from "./support/render";

const script = (parse(readFileSync(join(repoRoot, "rendered/prod/data/postgres/configmap-postgres-scripts.yaml"), "utf8")) as { data: Record<string, string> }).data["grafana-access.sh"]!;

let server: PostgresServer;

beforeAll(async () => {
  // Passwords count for every role but the superuser the tests administer with.
  const hba = join(serverOwnedTempDir("pg-hba-"), "pg_hba.conf");
  writeFileSync(hba, ["local all all trust", "host all postgres 127.0.0.1/32 trust", "host all all 127.0.0.1/32 scram-sha-256", ""].join("\n"));
  server = await startPostgres({ settings: { hba_file: hba } });
  server.sql("CREATE DATABASE orders");
  const pool = new pg.Pool({ connectionString: server.url("orders"), max: 1 });
  await migrate(pool, defaultMigrationsDir);
  await pool.end();
}, 60_000);

afterAll(() => {
  server?.destroy();
  removeServerOwnedTempDirs();
});

/** Runs the script as the Job does: libpq's variables for the database owner, and the roles' names and passwords. */
function runScript(env: Record<string, string>) {
  return spawnSync("sh", ["-c", script], {
    encoding: "utf8",
    env: { PATH: `${postgresBinDir()}:${process.env.PATH}`, PGHOST: "127.0.0.1", PGPORT: String(server.port), PGUSER: "postgres", PGDATABASE: "orders", ...env },
  });
}

/** Runs the queries in turn as `user` with `password`, over TCP with password authentication: the last one's rows, or the first error. */
async function as(user: string, password: string, queries: string | string[], database = "orders"): Promise<{ rows?: unknown[]; error?: string }> {
  const client = new pg.Client({ host: "127.0.0.1", port: server.port, user, password, database });
  try {
    await client.connect();
    let rows: unknown[] = [];
    for (const query of [queries].flat()) rows = (await client.query(query)).rows;
    return { rows };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reader = { READER_USER: "grafana_reader", READER_PASSWORD: "reader-pass-1" };
const grafana = { GRAFANA_DATABASE: "grafana", GRAFANA_USER: "grafana", GRAFANA_PASSWORD: "grafana-pass-1" };

describe("the order analytics role", () => {
  beforeAll(() => {
    server.sql("INSERT INTO orders (order_id, user_id, shipping_tracking_id, shipping_cost_currency, shipping_cost, total_currency, total, street_address, city, state, country, zip_code) VALUES ('o-1', 'a@example.com', 't', 'USD', 1, 'USD', 11, 's', 'c', 'st', 'co', 1)", "orders");
  });

  it("is created by the script, which says what it did and exits 0", () => {
    const run = runScript(reader);
    expect(run.stderr).toBe("grafana-access: grafana_reader reads orders\n");
    expect(run.status).toBe(0);
  });

  it("reads the orders", async () => {
    expect(await as("grafana_reader", "reader-pass-1", "SELECT order_id FROM orders")).toEqual({ rows: [{ order_id: "o-1" }] });
  });

  it("cannot write, even when it turns read-only transactions off", async () => {
    expect((await as("grafana_reader", "reader-pass-1", "DELETE FROM orders")).error).toBe("cannot execute DELETE in a read-only transaction");
    expect((await as("grafana_reader", "reader-pass-1", ["SET default_transaction_read_only = off", "DELETE FROM orders"])).error).toBe("permission denied for table orders");
    expect((await as("grafana_reader", "reader-pass-1", ["SET default_transaction_read_only = off", "CREATE TABLE mine (x int)"])).error).toBe("permission denied for schema public");
  });

  it("has a statement timeout and a connection limit", async () => {
    expect(await as("grafana_reader", "reader-pass-1", "SHOW statement_timeout")).toEqual({ rows: [{ statement_timeout: "30s" }] });
    expect(server.sql("SELECT rolconnlimit, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'grafana_reader'").trim()).toBe("10|f|f|f");
  });

  it("reads tables the order service creates later too", async () => {
    server.sql("CREATE TABLE later_table (x int); INSERT INTO later_table VALUES (7)", "orders");
    expect(await as("grafana_reader", "reader-pass-1", "SELECT x FROM later_table")).toEqual({ rows: [{ x: 7 }] });
  });

  it("a second run changes nothing but the password: the old one stops working", async () => {
    const run = runScript({ ...reader, READER_PASSWORD: "reader-pass-2" });
    expect(run.status).toBe(0);
    expect((await as("grafana_reader", "reader-pass-1", "SELECT 1")).error).toBe('password authentication failed for user "grafana_reader"');
    expect(await as("grafana_reader", "reader-pass-2", "SELECT count(*)::int AS n FROM orders")).toEqual({ rows: [{ n: 1 }] });
  });

  it("a password with quotes, backslashes and a semicolon is stored as given", async () => {
    const password = `it's "quoted"; \\ DROP TABLE orders; --`;
    expect(runScript({ ...reader, READER_PASSWORD: password }).status).toBe(0);
    expect(await as("grafana_reader", password, "SELECT count(*)::int AS n FROM orders")).toEqual({ rows: [{ n: 1 }] });
  });

  it("without the production variables, no Grafana database is made", () => {
    expect(server.sql("SELECT count(*) FROM pg_database WHERE datname = 'grafana'").trim()).toBe("0");
  });

  it("fails with psql's error, and creates nothing, when the role's name is missing", () => {
    const run = runScript({ READER_PASSWORD: "x" });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/syntax error/);
  });
});

describe("production: Grafana's own database", () => {
  beforeAll(() => {
    const run = runScript({ ...reader, ...grafana });
    expect(run.stderr).toBe("grafana-access: grafana_reader reads orders\ngrafana-access: grafana owns grafana\n");
    expect(run.status).toBe(0);
  });

  it("belongs to Grafana's role, which creates its tables there", async () => {
    expect(await as("grafana", "grafana-pass-1", ["CREATE TABLE dashboard (id int)", "SELECT current_database() AS db"], "grafana")).toEqual({ rows: [{ db: "grafana" }] });
    expect(server.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'grafana'").trim()).toBe("grafana");
  });

  it("admits no other role: the order analytics role cannot connect", async () => {
    expect((await as("grafana_reader", "reader-pass-1", "SELECT 1", "grafana")).error).toMatch(/^permission denied for database "grafana"/);
  });

  it("Grafana's role cannot read the orders", async () => {
    expect((await as("grafana", "grafana-pass-1", "SELECT * FROM orders")).error).toBe("permission denied for table orders");
  });

  it("runs again without error, and the password rotates", async () => {
    expect(runScript({ ...reader, ...grafana, GRAFANA_PASSWORD: "grafana-pass-2" }).status).toBe(0);
    expect((await as("grafana", "grafana-pass-1", "SELECT 1", "grafana")).error).toBe('password authentication failed for user "grafana"');
    expect(await as("grafana", "grafana-pass-2", "SELECT 1 AS one", "grafana")).toEqual({ rows: [{ one: 1 }] });
  });
});

describe("the rendered hook Job", () => {
  const jobOf = (environment: string) => find(objectsOf(environment), "Job", "postgres-grafana-access")!;

  it("runs after every sync of the data group, created anew each time, as the orders database's owner", () => {
    const access = jobOf("prod");
    expect(access.metadata.annotations).toEqual({ "argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation" });
    expect(access.spec.backoffLimit).toBe(4);
    const env = envOf(access.spec.template.spec.containers[0]);
    expect([env.PGHOST!.value, env.PGUSER!.value, env.PGDATABASE!.value, env.READER_USER!.value]).toEqual(["postgres", "orderuser", "orders", "grafana_reader"]);
  });

  it("reads every password from a Secret; prod also makes Grafana's database, dev does not", () => {
    const secretRefs = (environment: string) =>
      Object.entries(envOf(jobOf(environment).spec.template.spec.containers[0]))
        .filter(([name]) => name.includes("PASSWORD"))
        .map(([name, entry]) => `${name} ${entry.valueFrom?.secretKeyRef?.name}/${entry.valueFrom?.secretKeyRef?.key}`);
    expect(secretRefs("prod")).toEqual(["PGPASSWORD postgres-secret/password", "READER_PASSWORD grafana-database/reader-password", "GRAFANA_PASSWORD grafana-database/password"]);
    expect(secretRefs("dev")).toEqual(["PGPASSWORD postgres-secret/password", "READER_PASSWORD grafana-database/reader-password"]);
    expect(envOf(jobOf("dev").spec.template.spec.containers[0]).GRAFANA_DATABASE).toBeUndefined();
  });
});
