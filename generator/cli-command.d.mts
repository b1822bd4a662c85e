export declare const v8Flags: string[];
export declare const blobPath: string;
export declare function cliNodeArgs(repoRoot?: string): string[];
