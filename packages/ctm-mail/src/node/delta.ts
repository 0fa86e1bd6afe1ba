/** ctm(5) deltas on node:fs (gzip, crash-safe apply). Filled in by the ctm issue. */
export { CTM_DELTA_VERSION } from '../delta/index.js';
