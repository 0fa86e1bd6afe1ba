import { pending } from './_pending.js';

export const main = pending('pkgs_to_mmin', 5);
