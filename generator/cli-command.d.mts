export declare const cliBundlePaths: { render: string; policy: string };
export declare function cliNodeArgs(command: "render" | "policy", repoRoot?: string): string[];
