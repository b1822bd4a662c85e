// Orders as checkout sends them, for tests: plain data with no server or database behind it, so
// that the fast specifications (test/order-rules.test.ts) need not load gRPC or PostgreSQL helpers;
// and the service's log lines captured as data.
import { jsonLogger, type Logger } from "../../services/order-persistence/src/log";
import type { Money, SendOrderConfirmationRequest } from "../../services/order-persistence/src/messages";
import { toOrderRecord, type OrderRecord } from "../../services/order-persistence/src/order";

export function money(currency_code: string, units: string | number, nanos: number): Money {
  return { currency_code, units, nanos };
}

export interface OrderOptions {
  shipping?: Money;
  /** [product, quantity, unit price] */
  items?: [string, number, Money][];
  email?: string;
  address?: Partial<{ street_address: string; city: string; state: string; country: string }>;
  trackingId?: string;
}

/** An order as checkout sends it. */
export function orderRequest(orderId: string, options: OrderOptions = {}): SendOrderConfirmationRequest {
  const items = options.items ?? [
    ["OLJCESPC7Z", 1, money("USD", "19", 990000000)],
    ["66VCHSJNUP", 2, money("USD", "3", 500000000)],
  ];
  return {
    email: options.email ?? "someone@example.com",
    order: {
      order_id: orderId,
      shipping_tracking_id: options.trackingId ?? `TRACK-${orderId}`,
      shipping_cost: options.shipping ?? money("USD", "8", 990000000),
      shipping_address: { street_address: "1600 Amphitheatre Parkway", city: "Mountain View", state: "CA", country: "United States", zip_code: 94043, ...options.address },
      items: items.map(([product_id, quantity, cost]) => ({ item: { product_id, quantity }, cost })),
    },
  };
}

/** The record the service stores for such an order (validated as the server would). */
export function orderRecord(orderId: string, options: OrderOptions = {}): OrderRecord {
  return toOrderRecord(orderRequest(orderId, options));
}

/** One line the service logged, parsed. */
export interface LogEntry {
  time: string;
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  [field: string]: unknown;
}

/** The service's own JSON logger, writing into an array instead of stdout. */
export function capturedLogs(): { logger: Logger; entries: LogEntry[]; withMessage(msg: string): LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = jsonLogger("debug", (line) => void entries.push(JSON.parse(line) as LogEntry));
  return { logger, entries, withMessage: (msg) => entries.filter((entry) => entry.msg === msg) };
}
