// Types of stryker.config.mjs for the TypeScript that reads it (test/support/mutation-score.ts).
/** Each mutation area's source globs (Stryker's `mutate`; "!" excludes). */
export declare const areas: Readonly<Record<string, readonly string[]>>;
declare const config: Record<string, unknown>;
export default config;
