/** The uuidd wire protocol's operation codes (util-linux uuidd.h). Filled in by the uuidd issue. */
export const UUIDD_OP_GETPID = 0;
