// `npm run bench` in a package: runs every `bench/*.bench.mjs` of the package (the working directory), one after
// another; each prints its own ratios against its peers. `npm run bench -- NAME` runs only the files whose name
// contains NAME.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filter = process.argv[2] ?? '';
const benchDir = join(process.cwd(), 'bench');
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort();
if (files.length === 0) console.log('no benchmark matches');
let status = 0;
for (const file of files) {
  console.log(`\n## ${file}`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(benchDir, file)], {
    stdio: 'inherit',
  });
  status ||= result.status ?? 1;
}
process.exitCode = status;
