export declare const TOOL_PACKAGES: Record<string, string>;
export declare function ensureTools(binaries?: string[], log?: (line: string) => void): number;
