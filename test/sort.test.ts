// core/sort.ts: the one locale-free order used for rendered files, object keys, reports and flows.
import { describe, expect, it } from "vitest";
import { byCodeUnits, sortedBy } from "../core/sort";

describe("code-unit order", () => {
  it("compares by UTF-16 code units: upper case before lower, '-' before '/', never by locale", () => {
    expect(["b", "a", "B", "a-b", "a/b", "é", "z"].sort(byCodeUnits)).toEqual(["B", "a", "a-b", "a/b", "b", "z", "é"]);
    expect(byCodeUnits("a", "a")).toBe(0);
    expect(byCodeUnits("a", "b")).toBe(-1);
    expect(byCodeUnits("b", "a")).toBe(1);
  });

  it("sortedBy sorts a copy by a key and leaves the input as it was", () => {
    const input = [{ name: "prod" }, { name: "dev" }, { name: "prod-bootstrap" }];
    expect(sortedBy(input, (item) => item.name).map((item) => item.name)).toEqual(["dev", "prod", "prod-bootstrap"]);
    expect(input.map((item) => item.name)).toEqual(["prod", "dev", "prod-bootstrap"]);
  });
});
