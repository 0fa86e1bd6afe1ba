import { pending } from './_pending.js';

export const main = pending('uuidd', 4);
