export { ImageService } from './service.js';
export type { ImageServiceDeps, ImageConfigJson, ImageUser, DeleteAction } from './service.js';
export type * from './ports.js';
