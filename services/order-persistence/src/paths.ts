// Where the protos and migrations live, relative to this module's file. In the repository this is
// src/paths.ts → ../proto; in the image the esbuild bundle is dist/main.js → ../proto. Both sit one
// directory below the service root, so the same relative URL works in both layouts.
import { fileURLToPath } from "node:url";

export const protoDir = fileURLToPath(new URL("../proto", import.meta.url));
export const defaultMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));
