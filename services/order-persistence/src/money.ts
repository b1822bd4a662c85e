// Exact money arithmetic. Money is units (int64) + nanos (int32, same sign); PostgreSQL stores
// numeric(20, 9). Everything here is BigInt counted in nanos — a double cannot even hold every
// int64, let alone units + nanos / 10^9, and a rounded order total is a wrong order total.
import type { Money } from "./messages";

export const NANOS_PER_UNIT = 1_000_000_000n;
/** numeric(20, 9) keeps 11 digits before the point: every |amount| ≤ 99,999,999,999.999999999. */
export const MAX_ABS_NANOS = 10n ** 20n - 1n;

export class InvalidOrderError extends Error {
  override name = "InvalidOrderError";
}

const INTEGER = /^-?\d+$/;

function unitsOf(units: string | number, where: string): bigint {
  if (typeof units === "number") {
    if (!Number.isSafeInteger(units)) throw new InvalidOrderError(`${where}.units is not an integer: ${units}`);
    return BigInt(units);
  }
  if (!INTEGER.test(units)) throw new InvalidOrderError(`${where}.units is not an integer: ${JSON.stringify(units)}`);
  return BigInt(units);
}

/** A Money message as a count of nanos; rejects what the Money contract forbids. */
export function moneyToNanos(money: Money, where: string): bigint {
  const units = unitsOf(money.units, where);
  const nanos = money.nanos;
  if (!Number.isInteger(nanos) || nanos < -999_999_999 || nanos > 999_999_999) throw new InvalidOrderError(`${where}.nanos out of range: ${nanos}`);
  if ((units > 0n && nanos < 0) || (units < 0n && nanos > 0)) throw new InvalidOrderError(`${where}: units and nanos have different signs`);
  return checkRange(units * NANOS_PER_UNIT + BigInt(nanos), where);
}

export function checkRange(nanos: bigint, where: string): bigint {
  if (nanos > MAX_ABS_NANOS || nanos < -MAX_ABS_NANOS) throw new InvalidOrderError(`${where} exceeds the storable range (±99999999999.999999999)`);
  return nanos;
}

/** nanos → "-12.990000000": the exact literal for a numeric(20, 9) column. */
export function formatNanos(nanos: bigint): string {
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const units = magnitude / NANOS_PER_UNIT;
  const fraction = (magnitude % NANOS_PER_UNIT).toString().padStart(9, "0");
  return `${negative ? "-" : ""}${units}.${fraction}`;
}
