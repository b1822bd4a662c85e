// Prometheus metrics. Each server instance has its own registry, so that several instances can
// live in one process (tests, the benchmark) without "metric already registered" errors.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  ordersPersisted: Counter;
  orderRevenue: Counter<"currency">;
  persistDuration: Histogram<"outcome">;
  spoolDepth: Gauge;
  spoolQuarantined: Gauge;
  ordersSpooled: Counter;
  ordersDuplicate: Counter;
  ordersConflicting: Counter;
  ordersRejected: Counter;
  emailForwardFailures: Counter;
}

/** What the spool gauges read at scrape time. */
export interface SpoolCounts {
  readonly depth: number;
  readonly quarantined: number;
}

export function createMetrics(spool: SpoolCounts): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    ordersPersisted: new Counter({ name: "orders_persisted_total", help: "Orders newly written to PostgreSQL (directly or replayed from the spool).", registers: [registry] }),
    orderRevenue: new Counter({
      name: "order_revenue_total",
      // Floating point is fine here: this is a rate for dashboards, the database holds the exact amounts.
      help: "Sum of persisted order totals, in currency units (approximate; orders table is exact).",
      labelNames: ["currency"],
      registers: [registry],
    }),
    persistDuration: new Histogram({
      name: "order_persist_duration_seconds",
      help: "Time to store (or spool) one order, by outcome: stored, duplicate, spooled.",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    spoolDepth: new Gauge({
      name: "order_spool_depth",
      help: "Orders waiting in the spool directory for PostgreSQL.",
      registers: [registry],
      // Read at scrape time: the spool keeps the count, the gauge never drifts from it.
      collect() {
        this.set(spool.depth);
      },
    }),
    spoolQuarantined: new Gauge({
      name: "order_spool_quarantined",
      help: "Spool files set aside (*.bad) because they can never be stored: acknowledged orders that need an operator.",
      registers: [registry],
      collect() {
        this.set(spool.quarantined);
      },
    }),
    ordersSpooled: new Counter({ name: "orders_spooled_total", help: "Orders written to the spool because PostgreSQL was unavailable.", registers: [registry] }),
    ordersDuplicate: new Counter({ name: "orders_duplicate_total", help: "Repeated confirmations of an order already stored or spooled, same content (nothing written).", registers: [registry] }),
    ordersConflicting: new Counter({ name: "orders_conflicting_total", help: "Confirmations whose order_id is taken by an order with other content (the first version stands).", registers: [registry] }),
    ordersRejected: new Counter({ name: "orders_rejected_total", help: "Requests rejected as invalid (INVALID_ARGUMENT).", registers: [registry] }),
    emailForwardFailures: new Counter({ name: "email_forward_failures_total", help: "SendOrderConfirmation calls the real emailservice did not accept.", registers: [registry] }),
  };
}

/** Serves GET /metrics; resolves with the bound port once listening. */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.method !== "GET" || (request.url ?? "").split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
      (error: Error) => response.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
