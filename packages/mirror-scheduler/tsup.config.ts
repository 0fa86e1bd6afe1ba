import { libraryConfig } from '../../tsup.library.js';

export default libraryConfig({
  index: 'src/index.ts',
  'mm/index': 'src/mm/index.ts',
  'node/index': 'src/node/index.ts',
  'pg-boss/index': 'src/pg-boss/index.ts',
});
