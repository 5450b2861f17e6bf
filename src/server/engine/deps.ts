import type { ContainerRecord } from '../../services/index.js';
import type { BuildService, ContainerService, EventBus, FilesystemService, ImageService } from '../../services/index.js';
import type { VolumeService } from '../../services/index.js';
import type { RemoteImages } from '../../services/index.js';
import type { ExecService } from '../../services/index.js';
import type { ContainerNetworking } from '../../services/index.js';
import type { InspectPaths } from './convert.js';
import type { CheckReport, Checkpoints, ToolVersion } from '../../services/index.js';

export interface SystemFacts {
  id: string;
  name: string;
  version: string;
  apiVersion: string;
  minApiVersion: string;
  dataRoot: string;
  driver: string;
  runtimePath: string;
  /** The OCI runtimes offered, as probed at start; `unavailable` says why one cannot run containers here. */
  runtimes?: { name: string; path: string; args: string[]; unavailable?: string }[];
  defaultRuntime?: string;
  /** Where CDI specs are read; empty when CDI is off. */
  cdiSpecDirs?: string[];
  /** The runtime and monitor versions `docker version` lists beside the Engine. */
  components: Promise<ToolVersion[]>;
  kernelVersion: string;
  operatingSystem: string;
  cgroupVersion: '1' | '2';
  /** Containers run in a remapped user namespace (berthd --userns-remap). */
  userns?: boolean;
  /** The containers' default seccomp profile as `docker info` names it: builtin, unconfined or a file; absent = builtin. */
  seccompProfile?: string;
  /** What the host's cgroups can enforce (docker info's OomKillDisable and its warnings); absent: all of it. */
  /** daemon.json `experimental`: the checkpoint endpoints answer, and the ping's Docker-Experimental says true. */
  experimental?: boolean;
  cgroupFeatures?: { oomKillDisable: boolean; blkioWeight: boolean; blkioWeightDevice: boolean; blkioThrottle: boolean; cpusetCpus?: string | undefined };
}

export interface EngineDeps {
  containers: ContainerService;
  images: ImageService;
  /** Container filesystems: cp, diff, commit, export, and the sizes of ps, prune and df. */
  fs: FilesystemService;
  /** Dockerfile builds and their cache. */
  builds: BuildService;
  /** Optional so that a berthd wired without volumes still serves the rest (volume routes answer 501). */
  volumes?: VolumeService;
  /** Pull, push, login; optional so that a berthd wired without registries answers 501. */
  remotes?: RemoteImages;
  /** docker exec instances; optional so that a berthd wired without them answers 501. */
  execs?: ExecService;
  /** Networks and container endpoints; optional so that a berthd wired without them answers 501. */
  networks?: ContainerNetworking;
  bus: EventBus;
  /** Checkpoint and restore (experimental); optional so that a berthd wired without it refuses them. */
  checkpoints?: Checkpoints;
  system: SystemFacts;
  /** `berth system check`: the data root against its records; optional so that a berthd wired without it answers 501. */
  check?: (opts: { repair: boolean; signal?: AbortSignal }) => Promise<CheckReport>;
  inspectPaths(c: ContainerRecord): InspectPaths;
  layerPath(chainId: string): string;
  log(msg: string, err?: unknown): void;
}
