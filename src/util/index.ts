export * from './digest.js';
export * from './fs.js';
export * from './fan-out.js';
