import type { build } from "esbuild";

export declare function ensureBuilt(options?: { force?: boolean; minify?: boolean }): Promise<void>;
export declare const precomputedSources: string[];
export declare const requireShim: string;
export declare function precomputedModules(esbuildBuild: typeof build): Promise<{ source: string; contents: string; resolveDir?: string }[]>;
