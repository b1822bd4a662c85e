// The settings validator, compiled once from the schema (in the render snapshot it is compiled
// when the snapshot is built, so a render does not run ajv's compiler).
import { Ajv } from "ajv";
import { settingsSchema } from "./schema";

const validateSettings = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(settingsSchema);
export default validateSettings;
