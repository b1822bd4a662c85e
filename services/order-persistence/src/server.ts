// The service: gRPC hipstershop.EmailService + grpc.health.v1.Health, Prometheus metrics, and
// the persistence pipeline (validate → store or spool → forward). startServer runs it in-process;
// main.ts adds signals and exit codes around it.
import * as grpc from "@grpc/grpc-js";
import type { Config } from "./config";
import { createPool, isDatabaseUnavailable } from "./db";
import { EmailForwarder } from "./email";
import { Health } from "./health";
import type { SendOrderConfirmationRequest } from "./messages";
import { createMetrics, startMetricsServer, type Metrics } from "./metrics";
import { migrate } from "./migrate";
import { InvalidOrderError } from "./money";
import { toOrderRecord } from "./order";
import { OrderConflictError, OrderNotKeptError, OrderPersister, type PersisterOptions } from "./persister";
import { loadProtos } from "./proto";
import { Spool } from "./spool";

export interface RunningServer {
  /** The bound gRPC port (useful when config.port was 0). */
  port: number;
  metricsPort: number;
  /** Graceful stop: NOT_SERVING, (delay), no new calls, in-flight calls finish, pool closed. Idempotent. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Spool replay backoff; tests shorten it. */
  persister?: PersisterOptions;
  /** First wait between migration attempts while the database is unreachable at startup. */
  migrationRetryMs?: number;
}

const maxRequestBytes = 1024 * 1024;

function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

type MetricsServer = Awaited<ReturnType<typeof startMetricsServer>>;

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
}

/** The parts a running server is made of. */
interface Parts {
  config: Config;
  logger: Config["logger"];
  metrics: Metrics;
  pool: ReturnType<typeof createPool>;
  spool: Spool;
  persister: OrderPersister;
  forwarder: EmailForwarder;
  health: Health;
  /** Calls being handled; shutdown waits for them. */
  inFlight: Set<Promise<void>>;
}

async function createParts(config: Config, options: ServerOptions): Promise<Parts> {
  const logger = config.logger;
  const spool = new Spool(config.spoolDir);
  await spool.init();
  const metrics = createMetrics(spool);
  const pool = createPool({ databaseUrl: config.databaseUrl, poolSize: config.poolSize, logger });
  return {
    config,
    logger,
    metrics,
    pool,
    spool,
    persister: new OrderPersister(pool, spool, metrics, logger, options.persister),
    forwarder: new EmailForwarder(config.emailServiceAddr, config.emailTimeoutMs, metrics, logger),
    health: new Health(),
    inFlight: new Set(),
  };
}

/** One order confirmation: validate → store (or spool) → forward to the real emailservice. */
async function confirmOrder(parts: Parts, request: SendOrderConfirmationRequest, callback: grpc.sendUnaryData<object>): Promise<void> {
  const { logger, metrics, persister, forwarder } = parts;
  const started = performance.now();
  let order;
  try {
    order = toOrderRecord(request);
  } catch (error) {
    if (!(error instanceof InvalidOrderError)) throw error;
    metrics.ordersRejected.inc();
    logger.warn("order rejected", { orderId: request.order?.order_id, reason: error.message });
    callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
    return;
  }
  let outcome;
  try {
    outcome = await persister.persist(order);
  } catch (error) {
    callback(persistFailure(logger, order.orderId, error));
    return;
  }
  metrics.persistDuration.observe({ outcome }, (performance.now() - started) / 1000);
  logger.info("order persisted", { orderId: order.orderId, outcome, total: order.total, currency: order.totalCurrency, items: order.items.length });
  // The order is safe now, so forwarding can neither lose nor duplicate it in our tables.
  await forwarder.forward(request);
  callback(null, {});
}

/** The caller's answer when the order is not kept: never OK, and never forwarded. */
function persistFailure(logger: Config["logger"], orderId: string, error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof OrderConflictError) return { code: grpc.status.ALREADY_EXISTS, details: error.message };
  logger.error("order could not be persisted", { orderId, error });
  // Neither PostgreSQL nor the spool could take it: worth a retry. Anything else is a bug.
  if (error instanceof OrderNotKeptError) return { code: grpc.status.UNAVAILABLE, details: error.message };
  return { code: grpc.status.INTERNAL, details: "order could not be persisted" };
}

function grpcServer(parts: Parts, protos: ReturnType<typeof loadProtos>): grpc.Server {
  // A valid order is at most ~0.3 MB (maxItemsPerOrder lines of bounded text): refuse larger
  // messages before decoding them instead of grpc-js' default of 4 MB.
  const server = new grpc.Server({ "grpc.max_receive_message_length": maxRequestBytes });
  server.addService(protos.EmailService.service, {
    SendOrderConfirmation: (call: grpc.ServerUnaryCall<SendOrderConfirmationRequest, object>, callback: grpc.sendUnaryData<object>) => {
      const work = confirmOrder(parts, call.request, callback).catch((error: unknown) => {
        parts.logger.error("unexpected error in SendOrderConfirmation", { error });
        callback({ code: grpc.status.INTERNAL, details: "internal error" });
      });
      // Tracked so that shutdown can wait for writes that outlive a forced transport shutdown.
      parts.inFlight.add(work);
      void work.finally(() => parts.inFlight.delete(work));
    },
  });
  server.addService(protos.Health.service, parts.health.implementation());
  return server;
}

/** Binds the gRPC and metrics ports; on failure nothing is left open. */
async function listen(parts: Parts, server: grpc.Server): Promise<{ port: number; metricsServer: MetricsServer }> {
  const { config } = parts;
  try {
    const port = await bind(server, hostPort(config.host, config.port));
    const metricsServer = await startMetricsServer(parts.metrics.registry, config.host, config.metricsPort);
    return { port, metricsServer };
  } catch (error) {
    server.forceShutdown();
    await parts.pool.end();
    parts.forwarder.close();
    throw error;
  }
}

/**
 * Graceful stop: NOT_SERVING, a delay while the endpoint removal propagates, no new calls,
 * in-flight calls finish (or are cut off after the timeout), then the pool closes. Idempotent.
 */
function shutdown(parts: Parts, server: grpc.Server, metricsServer: MetricsServer, beforeStop: () => void): () => Promise<void> {
  const { config, logger, health, inFlight } = parts;
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      beforeStop();
      const wasServing = health.status === "SERVING";
      health.status = "NOT_SERVING";
      const delayMs = wasServing ? config.shutdownDelayMs : 0;
      logger.info("shutting down", { inFlight: inFlight.size, delayMs });
      // Still accepting calls while the endpoint removal propagates; health already says NOT_SERVING.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn("shutdown timeout: cancelling remaining calls", { inFlight: inFlight.size });
          server.forceShutdown();
          resolve();
        }, config.shutdownTimeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // After a forced shutdown the handlers may still be writing; let them finish before the pool goes.
      await Promise.allSettled([...inFlight]);
      await parts.persister.close();
      parts.forwarder.close();
      await new Promise<void>((resolve) => {
        metricsServer.server.close(() => resolve());
        metricsServer.server.closeAllConnections();
      });
      await parts.pool.end();
      logger.info("stopped", { spoolDepth: parts.spool.depth });
    })());
}

/** Applies the migrations, then reports SERVING (unless shutdown has begun meanwhile). */
async function migrateAndServe(parts: Parts, port: number, isClosed: () => boolean): Promise<void> {
  const result = await migrate(parts.pool, parts.config.migrationsDir);
  parts.logger.info("migrations done", { applied: result.applied, alreadyApplied: result.skipped.length });
  if (isClosed()) return;
  parts.persister.schemaReady();
  parts.health.status = "SERVING";
  parts.logger.info("serving", { port });
}

/**
 * While PostgreSQL is unreachable at startup: retry the migrations with backoff until they run
 * or the server closes. Orders are spooled meanwhile. Returns a function that wakes the retry loop.
 */
function retryMigrations(parts: Parts, port: number, firstWaitMs: number, isClosed: () => boolean): () => void {
  let wake: () => void = () => {};
  void (async () => {
    let wait = firstWaitMs;
    while (!isClosed()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (isClosed()) return;
      try {
        await migrateAndServe(parts, port, isClosed);
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error)) {
          // Cannot fix itself: stay NOT_SERVING (the readiness probe shows it) and keep the spool.
          parts.logger.error("migrations failed", { error });
          return;
        }
        wait = Math.min(wait * 2, 30_000);
      }
    }
  })();
  return () => wake();
}

/**
 * Starts listening, then migrates the schema. If PostgreSQL is unreachable at startup the server
 * still accepts orders (they are spooled), keeps retrying the migrations in the background and
 * reports SERVING once they ran. Any other migration failure stops startup with an error.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const protos = loadProtos();
  const parts = await createParts(config, options);
  const server = grpcServer(parts, protos);
  const { port, metricsServer } = await listen(parts, server);
  parts.logger.info("listening", { port, metricsPort: metricsServer.port, spoolDir: config.spoolDir, spoolDepth: parts.spool.depth, emailService: config.emailServiceAddr ?? null });

  let closed = false;
  let wakeMigrations = (): void => {};
  const close = shutdown(parts, server, metricsServer, () => {
    closed = true;
    wakeMigrations();
  });
  try {
    await migrateAndServe(parts, port, () => closed);
  } catch (error) {
    if (!isDatabaseUnavailable(error)) {
      parts.logger.error("migrations failed", { error });
      await close();
      throw error;
    }
    parts.logger.warn("database unavailable at startup: spooling orders, retrying migrations", { error });
    wakeMigrations = retryMigrations(parts, port, options.migrationRetryMs ?? 1_000, () => closed);
  }
  return { port, metricsPort: metricsServer.port, close };
}
