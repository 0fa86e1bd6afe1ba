export { MAX, NIL } from '../index.js';
