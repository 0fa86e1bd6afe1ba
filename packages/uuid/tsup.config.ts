import { libraryConfig } from '../../tsup.library.js';

export default libraryConfig({
  index: 'src/index.ts',
  'node/index': 'src/node/index.ts',
  'node/main': 'src/node/main.ts',
  'uuidd/index': 'src/uuidd/index.ts',
  'uuidd/node': 'src/node/uuidd.ts',
});
