export { chainIds, imageId } from './ids.js';
export { parseChanges } from './changes.js';
export { newImageConfig, serializeImageConfig, rfc3339, type NewImageConfigOptions } from './config.js';
export { readImageArchive, type LoadedImage, type LoadedLayer, type ReadArchiveOptions } from './archive-read.js';
export { writeImageArchive, type ArchiveImage } from './archive-write.js';
export { toImageRecord } from './record.js';
export { autoDecompress, decompress, detectCompression, type Compression } from './compression.js';
export { layerDiffId, blobCompression } from './layers.js';
