export * from './backend.js';
export * from './batch.js';
export * from './errors.js';
export * from './formats.js';
export * from './limits.js';
