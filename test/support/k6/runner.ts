// The test's side of the k6 stand-in: bundles the shipped script text with the stand-in modules
// into a VU worker, and runs a VU (plus its fetcher worker) to completion.
import { build, type Plugin } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker } from "node:worker_threads";
import type { VuReport, VuRun } from "./report";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The k6 modules the stand-in provides; the script may import nothing else. */
const standIns: Record<string, string> = { k6: join(here, "k6.ts"), "k6/http": join(here, "http.ts") };

export interface VuBundle {
  vu: string;
  fetcher: string;
  /** Every module the shipped script imports, as written. */
  scriptImports: string[];
}

/** Builds the VU and fetcher workers into `outDir`, the script being `shippedScript` with its k6 imports bound to the stand-ins. */
export async function buildVuBundle(shippedScript: string, outDir: string): Promise<VuBundle> {
  const scriptImports: string[] = [];
  const script: Plugin = {
    name: "k6-script",
    setup(b) {
      b.onResolve({ filter: /^virtual:k6-script$/ }, () => ({ path: "script.js", namespace: "k6-script" }));
      b.onLoad({ filter: /.*/, namespace: "k6-script" }, () => ({ contents: shippedScript, loader: "js" }));
      b.onResolve({ filter: /.*/, namespace: "k6-script" }, (args) => {
        scriptImports.push(args.path);
        const standIn = standIns[args.path];
        return standIn === undefined ? { errors: [{ text: `the k6 script imports "${args.path}": k6 has no such module here (the stand-in provides ${Object.keys(standIns).join(", ")})` }] } : { path: standIn };
      });
    },
  };
  await build({
    entryPoints: { vu: join(here, "vu.ts"), fetcher: join(here, "fetcher.ts") },
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    plugins: [script],
  });
  return { vu: join(outDir, "vu.mjs"), fetcher: join(outDir, "fetcher.mjs"), scriptImports: [...new Set(scriptImports)].sort() };
}

/** Runs one VU; rejects with the script's error if its init code throws. Both workers are ended either way. */
export async function runVu(bundle: VuBundle, run: VuRun): Promise<VuReport> {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const fetcher = new Worker(bundle.fetcher, { workerData: { port: port2, signal }, transferList: [port2] });
  const vu = new Worker(bundle.vu, { workerData: { ...run, port: port1, signal }, transferList: [port1] });
  try {
    return await new Promise<VuReport>((resolve, reject) => {
      vu.once("message", resolve);
      vu.once("error", reject);
      vu.once("exit", (code) => reject(new Error(`the VU worker exited (${code}) without a report`)));
      fetcher.once("error", reject);
    });
  } finally {
    await Promise.all([vu.terminate(), fetcher.terminate()]);
  }
}
