import { libraryConfig } from '../../tsup.library.js';

export default libraryConfig({
  index: 'src/index.ts',
  'node/index': 'src/node/index.ts',
  'delta/index': 'src/delta/index.ts',
  'delta/node': 'src/node/delta.ts',
});
