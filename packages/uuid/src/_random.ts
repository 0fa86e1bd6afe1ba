// The random pool lives in @suite/internal (bundled into this package).
export { pool, type RandomFill, RandomPool, randomFill, setRandomFill } from '@suite/internal';
