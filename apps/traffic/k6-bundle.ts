// The traffic script as k6 runs it: apps/traffic/k6/script.ts bundled into one ES module that
// imports k6's own modules only. The text is shipped in a ConfigMap, so it stays readable (not
// minified) and is the same bytes on every machine (esbuild's file comments are relative to the
// repository). generator/build.mjs computes it once per build and puts the text in place of this
// module, so the render bundle does not run esbuild.
import { buildSync } from "esbuild";
import { fileURLToPath } from "node:url";

const k6ScriptSource = "apps/traffic/k6/script.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export function k6ScriptBundle(): string {
  const result = buildSync({
    entryPoints: [k6ScriptSource],
    absWorkingDir: repoRoot,
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    external: ["k6", "k6/*"],
    minify: false,
    sourcemap: false,
    charset: "utf8",
    legalComments: "none",
    banner: { js: `// Generated from ${k6ScriptSource} by \`npm run render\`: edit that file, not this text.` },
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild wrote no bundle for ${k6ScriptSource}`);
  return output.text;
}
