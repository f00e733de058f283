export declare const manifestPath: string;
export declare function cacheDir(): string;
export declare function builderVersion(manifest?: string): string;
export declare function manifestHash(manifest?: string): string;
export declare function collectorBinaryPath(): string;
export declare function ensureCollector(log?: (line: string) => void): string;
