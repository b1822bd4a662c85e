export declare const cliBundlePaths: { render: string; policy: string; verify: string };
export declare function cliNodeArgs(command: "render" | "policy" | "verify", repoRoot?: string): string[];
