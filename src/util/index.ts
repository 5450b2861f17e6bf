export * from './crypto.js';
export * from './digest.js';
export * from './fs.js';
export * from './idmap.js';
export * from './fan-out.js';
export * from './streams.js';
export * from './idle-workers.js';
export * from './resumable.js';
