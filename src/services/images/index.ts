export { ImageService } from './service.js';
export type { ImageServiceDeps, ImageConfigJson, ImageUser, DeleteAction } from './service.js';
export type * from './ports.js';
export { RemoteImages, loginHost } from './remote-images.js';
export type { PreparedPull } from './pull.js';
export type { PreparedPush } from './push.js';
export type { ProgressEvent, ProgressSink, RemoteImageDeps, RemoteOptions } from './remote-deps.js';
export { decodeRegistryAuth, type Credentials, type SearchHit } from '../../core/remotes/index.js';
export type { SearchOptions } from './search.js';
