import type { Digest } from '../../util/index.js';

/** An image as the check sees it: what its record names. */
export interface CheckedImage {
  id: string;
  name: string;
  blobs: Digest[];
  chainIds: string[];
}

/** A container as the check sees it. */
export interface CheckedContainer {
  id: string;
  name: string;
  /** The record's state: running and paused ones must have a live runtime container. */
  status: string;
  layers: string[];
}

/**
 * What `system check` reads and, with --repair, removes: one narrow port per store, wired by the
 * composition root. Removals are only ever asked for things no record names.
 */
export interface CheckPorts {
  images(): CheckedImage[];
  blobs: {
    list(): AsyncIterable<Digest>;
    /** 'missing', 'corrupt' (bytes do not hash to the digest) or 'ok'. */
    verify(d: Digest, signal?: AbortSignal): Promise<'ok' | 'missing' | 'corrupt'>;
    remove(d: Digest): Promise<void>;
  };
  layers: {
    /** Chain IDs of the unpacked layers on disk. */
    list(): Promise<string[]>;
    remove(chainId: string): Promise<void>;
  };
  /** What leases of operations in flight hold (never reported as orphaned). */
  leased(kind: 'blob' | 'layer'): Set<string>;
  containers(): CheckedContainer[];
  /** Container ids that have a folder under <data-root>/containers. */
  containerDirs(): Promise<string[]>;
  removeContainerDir(id: string): Promise<void>;
  /** The runtime's view of a container: null when it has none. */
  runtimeStatus(id: string): Promise<string | null>;
  volumes(): string[];
  volumeDirs(): Promise<string[]>;
  removeVolumeDir(name: string): Promise<void>;
  /** Mount points beneath the data and exec roots, each with the container id its path names (if any). */
  mounts(): Promise<{ path: string; containerId: string | null }[]>;
  unmount(path: string): Promise<void>;
  /** Network namespaces berth keeps under its exec root, by container id. */
  netns(): Promise<string[]>;
  removeNetns(containerId: string): Promise<void>;
  /**
   * Host ends of container interfaces on this berthd's bridges, named as berth names them
   * (veth + 11 hex), and whether a recorded container endpoint has that name.
   */
  veths?(): Promise<{ name: string; bridge: string; owned: boolean }[]>;
  removeVeth?(name: string): Promise<void>;
  /**
   * berth's masquerade rules (comment `berth <network id>`): whether this berthd has the network,
   * and whether the bridge the rule names exists (another berthd's network has its bridge).
   */
  masqueradeRules?(): Promise<{ rule: string; network: string; known: boolean; bridgeExists: boolean }[]>;
  removeMasqueradeRule?(rule: string): Promise<void>;
  /**
   * Container cgroups under berth's parent (/berth/<id>, each controller): whether they hold a
   * process, and how long since they changed (another berthd's container may have just exited).
   */
  cgroups?(): Promise<{ path: string; containerId: string; empty: boolean; ageMs: number }[]>;
  removeCgroup?(path: string): Promise<void>;
}
