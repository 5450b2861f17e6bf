export {
  createContentStore,
  type BlobInfo,
  type BlobSource,
  type ContentReader,
  type ContentStore,
  type ContentWriter,
  type ExpectedBlob,
} from './store.js';
