/** Types of data-root.mjs (the data root of the report scripts: DLNET_DATA, default <repository>/data). */
export declare const REPO_ROOT: string;
export declare const DATA_ROOT: string;
export declare function dataPath(...parts: string[]): string;
export declare function requireFolder(folder: string): string;
