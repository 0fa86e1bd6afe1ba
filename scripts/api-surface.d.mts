/** An entry's export names: per JS condition of its `exports` map (`default`, `node`...) and `types`. */
export type EntrySurface = Readonly<Record<string, readonly string[]>>;
/** A package's entries, by subpath (`.`, `./node`...). */
export type PackageSurface = Readonly<Record<string, EntrySurface>>;
export declare const SNAPSHOT: string;
export declare const KNOWN_LEAKS: Readonly<Record<string, readonly string[]>>;
export declare function entriesOf(pkg: unknown): Record<string, Record<string, string>>;
export declare function surfaceOf(
  dir: string,
): Promise<{ name: string; surface: PackageSurface; leaks: string[]; knownLeaks: string[] }>;
export declare function publishedPackageDirs(root: string): string[];
export declare function compareSurfaces(
  snapshot: Readonly<Record<string, PackageSurface>>,
  current: Readonly<Record<string, PackageSurface>>,
): string[];
export declare function checkSurfaces(
  dirs: readonly string[],
  options?: { update?: boolean; snapshotFile?: string; partial?: boolean },
): Promise<string[]>;
