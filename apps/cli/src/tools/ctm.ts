import { pending } from './_pending.js';

export const main = pending('ctm', 7);
