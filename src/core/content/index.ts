export {
  createContentStore,
  type BlobInfo,
  type BlobSource,
  type ContentReader,
  type ContentStore,
  type ContentWriter,
  type ExpectedBlob,
  type WriteOptions,
  type ContentPartials,
  type ContentAdopter,
} from './store.js';
