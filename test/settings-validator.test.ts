// The CLIs validate settings with the validator ajv's standalone mode precompiles at build time
// (generator/build.mjs), and the tests import that same precompiled module (vitest.config.ts).
// Scripts run through tsx (npm run diff, the bench) compile the schema at run time instead
// (core/settings/validator.ts). Both must give the same verdict and the same errors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { settingsAjv } from "../core/settings/ajv";
import { settingsSchema } from "../core/settings/schema";
import precompiled from "../core/settings/validator";
import { environmentsDir } from "./support/repo";

const compiledNow = settingsAjv().compile(settingsSchema);

type Json = Record<string, any>;
const settingsOf = (environment: string): Json => parse(readFileSync(join(environmentsDir, environment, "settings.yaml"), "utf8"));

function verdict(validate: typeof compiledNow, data: unknown): { valid: boolean; errors: string[] } {
  const valid = validate(data);
  const errors = ((validate.errors ?? []) as ErrorObject[]).map((error) => `${error.instancePath} ${error.keyword} ${error.message}`);
  return { valid, errors };
}

const breakages: [string, (settings: Json) => void][] = [
  ["a required section missing", (settings) => delete settings.replicas],
  ["a number where a string belongs", (settings) => (settings.traffic.schedule = 15)],
  ["an unknown key", (settings) => (settings.replica = 3)],
  ["a name against its pattern", (settings) => (settings.namespaces.app = "Shop_Front")],
  ["a value outside its enum", (settings) => (settings.availability.level = "staging")],
  ["an integer under its minimum", (settings) => (settings.autoscaling = { frontend: { maxReplicas: 0, targetCPUUtilizationPercentage: 70 } })],
];

describe("the precompiled settings validator", () => {
  it("is the one the tests import (ajv's standalone code, no schema compiled at import)", () => {
    expect(precompiled.name).toBe("validate10");
    expect(precompiled.toString()).not.toContain("compile(");
  });

  for (const environment of ["dev", "prod"]) {
    it(`agrees with the schema compiled at run time on ${environment}'s settings`, () => {
      expect(verdict(precompiled, settingsOf(environment))).toEqual({ valid: true, errors: [] });
      expect(verdict(compiledNow, settingsOf(environment))).toEqual({ valid: true, errors: [] });
    });

    it.each(breakages)(`agrees on ${environment}'s settings with %s`, (_, breakIt) => {
      const broken = settingsOf(environment);
      breakIt(broken);
      const expected = verdict(compiledNow, broken);
      expect(expected.valid).toBe(false);
      expect(verdict(precompiled, structuredClone(broken))).toEqual(expected);
    });
  }
});
