export { applyLayer, type LayerFormat } from './apply.js';
export { decompress, sniff, type Compression, type Decompressed } from './decompress.js';
export { diffDirectories, exportChanges, type Change, type ChangeKind } from './changes.js';
export { RootResolver, cleanComponents } from './resolve.js';
export { writeEntry, type WriteResult } from './entry.js';
export { LayerWorkers } from './worker-pool.js';
