// The catalog's type for the compiler, so it does not infer one from 600 kB of JSON (a second of
// every type-check). The bundles embed the file as a JSON string (generator/build.mjs).
import type { FieldCatalog } from "./field-catalog-build";

declare const catalog: FieldCatalog | string;
export default catalog;
