/** ctm(5) deltas: parse, verify, apply and make. Filled in by the ctm issue. */
export const CTM_DELTA_VERSION = '2.0';
