export { RegistryServer, type AccessLogEntry, type RegistryServerOptions } from './server.js';
export { RegistryMetadata, type ManifestRecord, type UploadRecord } from './metadata.js';
export { Uploads } from './uploads.js';
export { ManifestCache } from './manifest-cache.js';
export { FileSender } from './file-sender.js';
export type { RegistryDeps } from './context.js';
export { errorTable, toWireError, registryError, type OciCode, type Reason } from './errors.js';
export type { GcOptions, GcReport } from './gc.js';
export type { AccessRule } from './access.js';
export type { Access, Action, Authorizer } from './auth.js';
export type { TokenAuthorizerOptions } from './auth-token.js';
export type { UpstreamConfig } from './upstream.js';

// Loaded when a feature is configured: an idle registry without auth, a pull-through upstream or
// online GC never compiles them (each module costs resident memory for the life of the process).
export const loadAuth = async () => {
  const [auth, token, access] = await Promise.all([import('./auth.js'), import('./auth-token.js'), import('./access.js')]);
  return { Htpasswd: auth.Htpasswd, BasicAuthorizer: auth.BasicAuthorizer, TokenAuthorizer: token.TokenAuthorizer, AccessRules: access.AccessRules };
};
export const loadPullThrough = async () => (await import('./proxy.js')).PullThrough;
export const loadGc = async () => (await import('./gc.js')).collectGarbage;
