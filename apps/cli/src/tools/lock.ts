import { pending } from './_pending.js';

export const main = pending('lock', 2);
