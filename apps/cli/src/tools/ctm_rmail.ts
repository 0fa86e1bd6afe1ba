import { pending } from './_pending.js';

export const main = pending('ctm_rmail', 6);
