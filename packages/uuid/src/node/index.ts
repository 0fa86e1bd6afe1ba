import { useNodeRandom } from './random.js';

useNodeRandom();

export * from '../index.js';
export { fileClockStore } from './clock-file.js';
export { type SafeTimeUuid, type V1SafeOptions, v1Safe } from './v1-safe.js';
