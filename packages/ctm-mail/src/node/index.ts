export * from '../index.js';
export * from './delta.js';
