import type { ContainerService, ExecService, ImageService, PodService, RemoteImages } from '../../services/index.js';

/** The `cri` section of daemon.json, as berthd resolved it. */
export interface CriConfig {
  socket: string;
  sandboxImage: string;
  cniConfDir: string;
  cniBinDirs: string[];
  cgroupDriver: 'cgroupfs' | 'systemd';
  streamAddress: string;
  /** 0: a free port, chosen when the streaming server starts. */
  streamPort: number;
  namespace: string;
}

/** How full the image filesystem is (ImageFsInfo). */
export interface ImageFsUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

/** What the CRI dialect uses of berth: the image operations, a pull, and the filesystem figures. */
export interface CriDeps {
  config: CriConfig;
  version: string;
  images: Pick<ImageService, 'list' | 'get' | 'tagsOf' | 'repoDigestsOf' | 'config' | 'chainIdsOf' | 'remove' | 'isIntermediate'>;
  remotes: Pick<RemoteImages, 'preparePull'>;
  /** Pod sandboxes, and the container and exec services their containers run by (in `config.namespace`). */
  pods: PodService;
  containers: ContainerService;
  execs: ExecService;
  imageFsUsage(): Promise<ImageFsUsage>;
  /** What a container's writable layer holds (ContainerStats). */
  writableLayerUsage(containerId: string): Promise<ImageFsUsage>;
  log(msg: string, err?: unknown): void;
}
