// The `node` export condition of `@suite/uuid`: the same API, with the random pools filled by node:crypto.
import { useNodeRandom } from './random.js';

useNodeRandom();

export * from '../index.js';
