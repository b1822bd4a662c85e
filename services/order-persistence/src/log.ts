// Structured logs: one JSON object per line on stdout, so the cluster's log pipeline can parse
// every event without a custom grammar.
import { isError } from "./errors";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(rank, value);
}

/** Errors do not survive JSON.stringify (their fields are not enumerable); keep what helps an operator. */
function plain(value: unknown): unknown {
  if (!isError(value)) return value;
  const code = (value as { code?: unknown }).code;
  return code === undefined ? { name: value.name, message: value.message } : { name: value.name, message: value.message, code };
}

export function jsonLogger(minLevel: LogLevel = "info", write: (line: string) => void = (line) => void process.stdout.write(line)): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[level] < rank[minLevel]) return;
    const entry: LogFields = { time: new Date().toISOString(), level, msg };
    // A field named like an entry key (time, level, msg) is kept beside it, never over it.
    if (fields) for (const [key, value] of Object.entries(fields)) entry[Object.hasOwn(entry, key) ? `field.${key}` : key] = plain(value);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** For tests and benchmarks, which would otherwise drown their own output. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
