// `npm run render` and `npm run policy`: rebuild the CLI bundle if a source changed, then run it
// in this same process (one Node start, not two).
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureBuilt } from "./build.mjs";
import { cliBundlePaths } from "./cli-command.mjs";

const [command, ...args] = process.argv.slice(2);
if (command !== "render" && command !== "policy") {
  console.error(`usage: node generator/run.mjs render|policy [options] (got ${command ?? "nothing"})`);
  process.exit(2);
}
await ensureBuilt();
const bundle = join(fileURLToPath(new URL("..", import.meta.url)), cliBundlePaths[command]);
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = main(args);
