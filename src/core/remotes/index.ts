export { RegistryHosts, isInsecure, DOCKER_HUB, type HostsConfig, type RegistryEndpoint } from './hosts.js';
export { parseChallenges, decodeRegistryAuth, type Challenge, type Credentials, type CredentialSource } from './auth.js';
export { RegistryClient, registryError, type ClientState, type RegistryClientOptions } from './client.js';
export { Remote, type RemoteRepo, type RemoteState, type ResolvedManifest } from './remote.js';
export { dockerConfigCredentials } from './credentials.js';
export { DEFAULT_UPLOAD_POLICY, type OpenRange, type UploadOptions, type UploadPolicy } from './upload.js';
export { DEFAULT_CERTS_DIRS } from './certs.js';
export type { SearchHit } from './search.js';
