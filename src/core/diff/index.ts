export { applyLayer, type ApplyCheckpoint, type DirTime, type LayerFormat } from './apply.js';
export { decompress, sniff, type Compression, type Decompressed, type GunzipBoundary } from './decompress.js';
export { diffDirectories, exportChanges, type Change, type ChangeKind } from './changes.js';
export { RootResolver, cleanComponents } from './resolve.js';
export { writeEntry, type WriteResult } from './entry.js';
export { LayerWorkers } from './worker-pool.js';
