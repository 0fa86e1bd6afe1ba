export { packageName } from '../index.js';
