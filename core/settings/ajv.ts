// The ajv instance that compiles the settings schema, at run time (tests, scripts) and at build
// time (the CLI bundles' standalone validator): same options, same keywords.
import { Ajv, type Options } from "ajv";

export function settingsAjv(extra: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true, strictRequired: false, allowUnionTypes: true, ...extra });
  // What a pattern means, in words, for error messages instead of the regular expression. An annotation: it validates nothing.
  ajv.addKeyword({ keyword: "patternMeaning", schemaType: "string" });
  return ajv;
}
