export * from './containers/index.js';
export * from './images/index.js';
