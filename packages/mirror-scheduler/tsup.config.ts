import { copyFile } from 'node:fs/promises';
import type { Options } from 'tsup';
import { libraryConfig } from '../../tsup.library.js';

const config = libraryConfig({
  index: 'src/index.ts',
  'mm/index': 'src/mm/index.ts',
  'node/index': 'src/node/index.ts',
  'pg-boss/index': 'src/pg-boss/index.ts',
}) as Options;

// forkServerExecutor's Perl helper is a file of its own, shipped beside the bundles (package.json `files`: dist).
const options: Options = {
  ...config,
  onSuccess: () => copyFile('src/node/fork-server.pl', 'dist/fork-server.pl'),
};
export default options;
