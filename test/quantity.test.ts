// Quantities are compared by value, in the API server's grammar.
import { describe, expect, it } from "vitest";
import { parseBytes, parseCpu } from "../core/quantity";

describe("quantities", () => {
  it("CPU in millicores: 100m, 0.1, .1 and 1e-1 are the same", () => {
    for (const text of ["100m", "0.1", ".1", "1e-1", "+0.1"]) expect(parseCpu(text), text).toBe(100);
    expect(parseCpu("2")).toBe(2000);
    expect(parseCpu(1)).toBe(1000);
  });

  it("bytes with binary and decimal suffixes", () => {
    expect(parseBytes("64Mi")).toBe(64 * 2 ** 20);
    expect(parseBytes(".5Gi")).toBe(2 ** 29);
    expect(parseBytes("1G")).toBe(1e9);
    expect(parseBytes("1e3")).toBe(1000);
    expect(parseBytes("128974848")).toBe(128974848);
  });

  it("anything else is not a number", () => {
    for (const text of ["", "abc", "1Gb", "1 Gi", "1.2.3", "Mi", "0x10"]) expect(parseBytes(text), text).toBeNaN();
  });
});
