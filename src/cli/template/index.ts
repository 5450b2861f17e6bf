export { Template } from './exec.js';
export type { TemplateFunc } from './funcs.js';
export { goEscape } from './funcs.js';
export { formatValue, sprintf, truthy } from './print.js';
