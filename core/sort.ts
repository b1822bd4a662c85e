// Orders that do not depend on the machine: strings compared by UTF-16 code units (what
// Array.prototype.sort does for strings by default), never by locale, so rendered output and
// reports come out byte-identical in any LANG.

/** Compares two strings by UTF-16 code units: a sort comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy of `items`, by the code-unit order of `key`. */
export function sortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => byCodeUnits(key(a), key(b)));
}
