/** Docker Engine API system wire types. */

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** `GET /version`. */
export interface Version {
  Platform?: { Name: string };
  Components?: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental?: boolean;
  BuildTime: string;
}

/** `GET /info` (the fields berth fills; Docker sends more). */
export interface Info {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: Array<[string, string]> | null;
  DockerRootDir: string;
  Plugins?: { Volume?: string[]; Network?: string[]; Authorization?: string[] | null; Log?: string[] };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod?: boolean;
  CpuCfsQuota?: boolean;
  PidsLimit?: boolean;
  IPv4Forwarding?: boolean;
  Debug: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  NEventsListener?: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion?: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  IndexServerAddress?: string;
  RegistryConfig?: unknown;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  /** `status` (API 1.45): facts of the runtime; berth puts why one cannot run containers here under `berth.unavailable`. */
  Runtimes?: Record<string, { path: string; runtimeArgs?: string[]; status?: Record<string, string> }>;
  DefaultRuntime: string;
  LiveRestoreEnabled: boolean;
  Isolation?: string;
  InitBinary?: string;
  SecurityOptions: string[];
  Warnings: string[] | null;
  /** API 1.46: the directories CDI specs are read from. */
  CDISpecDirs?: string[];
}

/** Every error body the Engine API sends. */
export interface ErrorResponse {
  message: string;
}
