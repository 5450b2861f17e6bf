export { CdiRegistry, DEFAULT_CDI_SPEC_DIRS } from './registry.js';
export type { CdiSpecError } from './registry.js';
export { emptyEdits, isQualifiedName, mergeEdits, parseCdiSpec, parseQualifiedName } from './spec.js';
export type { CdiDevice, CdiDeviceNode, CdiHook, CdiHookName, CdiMount, CdiSpec, ContainerEdits } from './spec.js';
