import { pending } from './_pending.js';

export const main = pending('uuidparse', 3);
