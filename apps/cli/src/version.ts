import { readFileSync } from 'node:fs';

/** The version of @suite/cli, from its package.json (beside `dist/`, where every built chunk lives). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
