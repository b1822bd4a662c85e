// Build time: the settings validator as standalone JavaScript (an ES module whose default export
// is the validate function), for generator/build.mjs to bundle in place of validator.ts.
import standaloneCode from "ajv/dist/standalone/index.js";
import { settingsAjv } from "./ajv";
import { settingsSchema } from "./schema";

export function settingsValidatorSource(): string {
  const ajv = settingsAjv({ code: { source: true, esm: true } });
  return standaloneCode(ajv, ajv.compile(settingsSchema));
}
