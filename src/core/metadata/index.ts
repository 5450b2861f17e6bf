export { openDatabase, ensureSchema, databasePath, DATABASE_FILE, type Db } from './db.js';
export { ImageStore, type ImageRecord, type ImageLayerRecord } from './images.js';
export * from './containers.js';
export { VolumeStore, type VolumeRecord, type MountPoint } from './volumes.js';
export { NetworkStore, type NetworkRecord } from './networks.js';
export { LeaseStore, type LeaseKind, type LeasedRef } from './leases.js';
export { ExecStore, type ExecConfig, type ExecRecord, type ExecStatus } from './execs.js';
