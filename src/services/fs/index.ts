export { FilesystemService } from './service.js';
export type { FilesystemServiceDeps } from './service.js';
export type { PathStat } from './archive.js';
export type { CommitOptions } from './commit.js';
export { extractInto } from './extract.js';
export type { DiskUsage, ImageUsage, ContainerUsage } from './disk-usage.js';
export type { Change, ChangeKind } from '../../core/diff/index.js';
