// Bundles src/main.ts and its dependencies into one ES module for the container image
// (node build.mjs <outfile>, default dist/main.js). The image then needs no node_modules.
import { build } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(process.argv[2] ?? join(here, "dist", "main.js"));

await build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // grpc-js, pg and protobufjs are CommonJS and require() Node's built-ins; an ES module bundle
  // has no require of its own, so give it one.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  // pg loads its optional native binding only when asked to (pg.native); we never ask.
  external: ["pg-native"],
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
});
process.stdout.write(`${outfile}\n`);
