import { pending } from './_pending.js';

export const main = pending('mm', 5);
