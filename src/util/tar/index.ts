export type { TarEntry, TarEntryType, TarHeader, TarStart } from './types.js';
export { readTar, normalizeName } from './reader.js';
export { TarWriter } from './writer.js';
export { packDirectory, devMajor, devMinor, entryTypeOf, type PackOptions, type XattrReader } from './pack.js';
