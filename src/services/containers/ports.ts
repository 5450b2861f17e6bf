import type { Writable } from 'node:stream';
import type { ContainerSpecInput, CreateOptions, LogEntry, ReadLogsOptions, LogRotation, NetnsChoice } from '../../core/runtime/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { Mount } from '../../core/snapshots/index.js';

/**
 * The narrow roles the container service needs from the layers below. daemon/ passes the real
 * implementations; naming them here keeps the service independent of how each is built.
 */
export interface ImageLookup {
  /** Resolves a name, tag, digest or id (prefix) to an image; NotFound "No such image: X". */
  resolveImage(ref: string): Promise<{ id: string; chainIds: string[]; config: ImageRuntimeConfig }>;
  /**
   * A removed container no longer holds these layers: those no image, container or lease still
   * names are collected (an image removed with rmi -f while the container used it left them).
   */
  releaseLayers?(chainIds: string[]): Promise<void>;
}

/** The part of an OCI image config that a container starts from. */
export interface ImageRuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Healthcheck?: import('./health.js').ImageHealthcheck | null;
}

export interface RootfsProvider {
  readonly driver: string;
  /**
   * `newLayer`: the container is being created (its writable layer is made now, with `sizeBytes`
   * as its limit, or the daemon's default size where it has one).
   */
  prepare(containerId: string, chainIds: string[], rootfs: string, opts?: { newLayer?: boolean; sizeBytes?: number }): Promise<Mount[]>;
  mount(mounts: Mount[]): Promise<void>;
  unmount(target: string): Promise<void>;
  remove(containerId: string): Promise<void>;
  upperPath(containerId: string): string;
  /** An image layer as the container's storage holds it (a remapped container has its own shifted copy). */
  layerPath(containerId: string, chainId: string): string;
}

export interface ContainerRuntime {
  create(spec: ContainerSpecInput, opts: CreateOptions): Promise<{ pid: number }>;
  watchLog(id: string, logPath: string, rotation: LogRotation): void;
  start(id: string): Promise<void>;
  kill(id: string, signal: string | number): Promise<void>;
  pause(id: string): Promise<void>;
  update(id: string, resources: import('../../core/runtime/index.js').ContainerResources): Promise<void>;
  resume(id: string): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  state(id: string): Promise<{ status: 'created' | 'running' | 'paused' | 'stopped'; pid: number } | null>;
  waitExit(id: string, signal?: AbortSignal): Promise<{ exitCode: number; exitedAt: Date; oomKilled: boolean }>;
  exitStatus(id: string): Promise<{ exitCode: number; exitedAt: Date } | null>;
  attachStdin(id: string): Promise<Writable>;
  exec(id: string, opts: import('../../core/runtime/index.js').ExecOptions): Promise<import('../../core/runtime/index.js').ExecProcess>;
  /** CRIU's checkpoint of a running container; absent: this runtime cannot checkpoint. */
  checkpoint?(id: string, opts: import('../../core/runtime/index.js').CheckpointOptions): Promise<void>;
  readLogs(path: string, opts: LogReadOptions): AsyncIterable<LogEntry>;
  resolveUser(rootfs: string, user: string): Promise<{ uid: number; gid: number; additionalGids: number[]; home: string }>;
}


/** What a log read selects (core/runtime's options): follow, the last lines, a time window, the streams. */
export type LogReadOptions = ReadLogsOptions;

/** Container networking as the container service uses it (services/networks implements it). */
export interface NetworkAttacher {
  /** At create: checks --network and the endpoint requests, records the endpoints. */
  plan(rec: ContainerRecord, requests: Record<string, { aliases?: string[]; ip?: string; mac?: string; links?: { name: string; alias: string }[] }>): void;
  /**
   * At start: the namespace now; the endpoints while runc creates the container, `files` (/etc/hosts,
   * resolv.conf) resolving when they are made. Leaves nothing behind when it fails.
   */
  setUp(rec: ContainerRecord, opts?: { netnsOf?: Promise<number>; linkHosts?: { ip: string; names: string }[] }): Promise<{ mode: NetnsChoice; files: Promise<{ hosts: string; resolv: string }> }>;
  /** After the container stopped (or vanished): endpoints and namespace removed; safe to repeat. */
  tearDown(rec: ContainerRecord): Promise<void>;
}
