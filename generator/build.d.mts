import type { build } from "esbuild";

export declare function ensureBuilt(options?: { force?: boolean; minify?: boolean }): Promise<void>;
export declare const precomputedFilters: { settingsValidator: RegExp; dashboardTemplates: RegExp; k6Bundle: RegExp };
export declare function precomputedModules(esbuildBuild: typeof build): Promise<{ filter: RegExp; contents: string; resolveDir?: string }[]>;
