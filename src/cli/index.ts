export { main, normalizeArgs, CLI_VERSION } from './main.js';
