// The `node` export condition of `@suite/uuid`: the same API, with the random pools filled by node:crypto.
import './random.js';

export * from '../index.js';
