export * from '../index.js';
export * from './uuidd.js';
