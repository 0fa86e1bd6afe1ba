import { useNodeRandom } from './random.js';

useNodeRandom();

export * from '../index.js';
export { fileClockStore } from './clock-file.js';
export * from './uuidd.js';
