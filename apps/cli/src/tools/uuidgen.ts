import { pending } from './_pending.js';

export const main = pending('uuidgen', 3);
