import type { Digest } from '../util/index.js';

/** OCI image-spec platform; the dotted keys are the spec's JSON names. */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** OCI image manifest; Docker schema2 manifests have the same shape with Docker media types. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** OCI image index; Docker manifest lists have the same shape with Docker media types. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Docker schema2 manifest (application/vnd.docker.distribution.manifest.v2+json). */
export interface Schema2Manifest extends ImageManifest {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json';
}

/** Docker schema2 manifest list (application/vnd.docker.distribution.manifest.list.v2+json). */
export interface Schema2ManifestList extends ImageIndex {
  mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json';
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/**
 * The execution parameters of an image config. PascalCase because this is the on-disk JSON of the
 * OCI spec (and Docker's extensions: Healthcheck, OnBuild, Shell, ArgsEscaped).
 */
export interface ImageConfigConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface RootFS {
  type: 'layers';
  diff_ids: Digest[];
}

/** OCI image config (application/vnd.oci.image.config.v1+json), also Docker's image JSON. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ImageConfigConfig;
  rootfs: RootFS;
  history?: History[];
  /** Docker extensions kept in the JSON Docker writes (import/commit comment, docker version). */
  comment?: string;
  docker_version?: string;
}

/** The `oci-layout` file of an OCI image layout. */
export interface ImageLayout {
  imageLayoutVersion: string;
}

/** Annotation keys with a meaning for berth. */
export const Annotations = {
  refName: 'org.opencontainers.image.ref.name',
  /** containerd (and Docker 25+ `docker save`) put the full image name here. */
  containerdImageName: 'io.containerd.image.name',
} as const;
