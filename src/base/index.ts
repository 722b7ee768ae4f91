export * from './backend.js';
export * from './errors.js';
export * from './limits.js';
