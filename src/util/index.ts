export * from './digest.js';
export * from './fs.js';
