// The settings validator, compiled from the schema when this module loads. The CLI bundles do
// not load it: generator/build.mjs swaps in the same validator precompiled by ajv's standalone
// mode (validator-source.ts), so a render runs no schema compiler.
import { settingsAjv } from "./ajv";
import { settingsSchema } from "./schema";

const validateSettings = settingsAjv().compile(settingsSchema);
export default validateSettings;
