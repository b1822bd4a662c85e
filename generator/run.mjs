// `npm run render`, `npm run policy` and `npm run verify`: rebuild the CLI bundle if a source
// changed, then run it in this same process (one Node start, not two). verify's main() is async.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureBuilt } from "./build.mjs";
import { cliBundlePaths } from "./cli-command.mjs";

const [command, ...args] = process.argv.slice(2);
if (command !== "render" && command !== "policy" && command !== "verify") {
  console.error(`usage: node generator/run.mjs render|policy|verify [options] (got ${command ?? "nothing"})`);
  process.exit(2);
}
await ensureBuilt();
const bundle = join(fileURLToPath(new URL("..", import.meta.url)), cliBundlePaths[command]);
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(args);
