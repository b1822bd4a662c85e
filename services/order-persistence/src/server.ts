// The service: gRPC hipstershop.EmailService + grpc.health.v1.Health, Prometheus metrics, and
// the persistence pipeline (validate → store or spool → forward). startServer runs it in-process;
// main.ts adds signals and exit codes around it.
import * as grpc from "@grpc/grpc-js";
import type { Config } from "./config";
import { createPool, isDatabaseUnavailable } from "./db";
import { EmailForwarder } from "./email";
import { Health } from "./health";
import type { SendOrderConfirmationRequest } from "./messages";
import { createMetrics, startMetricsServer } from "./metrics";
import { migrate } from "./migrate";
import { InvalidOrderError } from "./money";
import { toOrderRecord } from "./order";
import { OrderPersister, type PersisterOptions } from "./persister";
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

function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
}

/**
 * Starts listening, then migrates the schema. If PostgreSQL is unreachable at startup the server
 * still accepts orders (they are spooled), keeps retrying the migrations in the background and
 * reports SERVING once they ran. Any other migration failure stops startup with an error.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = config.logger;
  const protos = loadProtos();
  const spool = new Spool(config.spoolDir);
  await spool.init();
  const metrics = createMetrics(() => spool.depth);
  const pool = createPool({ databaseUrl: config.databaseUrl, poolSize: config.poolSize, logger });
  const persister = new OrderPersister(pool, spool, metrics, logger, options.persister);
  const forwarder = new EmailForwarder(config.emailServiceAddr, config.emailTimeoutMs, metrics, logger);
  const health = new Health();
  const inFlight = new Set<Promise<void>>();

  async function handle(request: SendOrderConfirmationRequest, callback: grpc.sendUnaryData<object>): Promise<void> {
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
      // Neither stored nor spooled: the caller must know. (Validation makes this a bug or a full disk.)
      logger.error("order could not be persisted", { orderId: order.orderId, error });
      callback({ code: grpc.status.INTERNAL, details: "order could not be persisted" });
      return;
    }
    metrics.persistDuration.observe({ outcome }, (performance.now() - started) / 1000);
    logger.info("order persisted", { orderId: order.orderId, outcome, total: order.total, currency: order.totalCurrency, items: order.items.length });
    // The order is safe now, so forwarding can neither lose nor duplicate it in our tables.
    await forwarder.forward(request);
    callback(null, {});
  }

  const server = new grpc.Server();
  server.addService(protos.EmailService.service, {
    SendOrderConfirmation: (call: grpc.ServerUnaryCall<SendOrderConfirmationRequest, object>, callback: grpc.sendUnaryData<object>) => {
      const work = handle(call.request, callback).catch((error: unknown) => {
        logger.error("unexpected error in SendOrderConfirmation", { error });
        callback({ code: grpc.status.INTERNAL, details: "internal error" });
      });
      // Tracked so that shutdown can wait for writes that outlive a forced transport shutdown.
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    },
  });
  server.addService(protos.Health.service, health.implementation());

  let port: number;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    port = await bind(server, hostPort(config.host, config.port));
    metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort);
  } catch (error) {
    server.forceShutdown();
    await pool.end();
    forwarder.close();
    throw error;
  }
  logger.info("listening", { port, metricsPort: metricsServer.port, spoolDir: config.spoolDir, spoolDepth: spool.depth, emailService: config.emailServiceAddr ?? null });

  let closed = false;
  let wakeMigrations: (() => void) | undefined;
  const schemaReady = (): void => {
    persister.schemaReady();
    health.status = "SERVING";
    logger.info("serving", { port });
  };
  const migrations = async (): Promise<void> => {
    const result = await migrate(pool, config.migrationsDir);
    logger.info("migrations done", { applied: result.applied, alreadyApplied: result.skipped.length });
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      closed = true;
      wakeMigrations?.();
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
      await persister.close();
      forwarder.close();
      await new Promise<void>((resolve) => {
        metricsServer?.server.close(() => resolve());
        metricsServer?.server.closeAllConnections();
      });
      await pool.end();
      logger.info("stopped", { spoolDepth: spool.depth });
    })());

  try {
    await migrations();
    schemaReady();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) {
      logger.error("migrations failed", { error });
      await close();
      throw error;
    }
    logger.warn("database unavailable at startup: spooling orders, retrying migrations", { error });
    void (async () => {
      let wait = options.migrationRetryMs ?? 1_000;
      while (!closed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wakeMigrations = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (closed) return;
        try {
          await migrations();
          schemaReady();
          return;
        } catch (retryError) {
          if (!isDatabaseUnavailable(retryError)) {
            // Cannot fix itself: stay NOT_SERVING (the readiness probe shows it) and keep the spool.
            logger.error("migrations failed", { error: retryError });
            return;
          }
          wait = Math.min(wait * 2, 30_000);
        }
      }
    })();
  }

  return { port, metricsPort: metricsServer.port, close };
}
