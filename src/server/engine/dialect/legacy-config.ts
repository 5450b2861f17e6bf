import type { ContainerRecord, ContainerSpec, CreateSpec } from '../../../services/index.js';
import { healthFromWire } from './create.js';

/** The record's `config` as berth wrote it before the spec held the process side (ContainerConfig). */
interface LegacyConfig {
  hostname?: string;
  domainname?: string;
  user?: string;
  attachStdin?: boolean;
  attachStdout?: boolean;
  attachStderr?: boolean;
  tty?: boolean;
  openStdin?: boolean;
  stdinOnce?: boolean;
  env?: string[];
  cmd?: string[] | null;
  entrypoint?: string[] | null;
  image?: string;
  workingDir?: string;
  labels?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number | null;
  exposedPorts?: Record<string, object>;
  volumes?: Record<string, object>;
  /** Docker's HealthConfig (Test, Interval, …). */
  healthcheck?: Record<string, unknown>;
  consoleSize?: { height: number; width: number };
}

/**
 * A record whose process side is still its `config` and `path`/`args` (berth before the spec held
 * it) with that side moved into the spec: the same values in the spec's words, the healthcheck
 * out of Docker's, and the attach flags (which change nothing) into the Docker view, so that
 * inspect shows the same Config as before.
 */
export function processFromLegacy(rec: Record<string, unknown> & { spec: CreateSpec }): ContainerRecord {
  const { config, path, args, ...rest } = rec as { config?: LegacyConfig; path?: string; args?: string[] } & Record<string, unknown> & { spec: CreateSpec };
  const c: LegacyConfig = config ?? {};
  const old = rest.spec;
  const health = healthFromWire(c.healthcheck);
  const spec: ContainerSpec = {
    ...old,
    process: {
      args: [...(path !== undefined ? [path] : []), ...(args ?? [])],
      entrypoint: c.entrypoint ?? null,
      command: c.cmd ?? null,
      env: c.env ?? [],
      cwd: c.workingDir ?? '',
      user: c.user ?? '',
      terminal: c.tty ?? false,
      stdin: { open: c.openStdin ?? false, once: c.stdinOnce ?? false },
      ...(c.consoleSize ? { consoleSize: c.consoleSize } : {}),
    },
    rootfs: { ...old.rootfs, image: c.image ?? '' },
    volumes: Object.keys(c.volumes ?? {}),
    networking: { ...old.networking, hostname: c.hostname ?? '', domainname: c.domainname ?? '', exposedPorts: Object.keys(c.exposedPorts ?? {}) },
    lifecycle: {
      ...old.lifecycle,
      stopSignal: c.stopSignal ?? '',
      ...(typeof c.stopTimeout === 'number' ? { stopTimeout: c.stopTimeout } : {}),
      ...(health ? { healthcheck: health } : {}),
    },
    labels: c.labels ?? {},
  };
  const out = { ...(rest as unknown as ContainerRecord), spec };
  const attach: Record<string, unknown> = {};
  for (const [k, v] of [['AttachStdin', c.attachStdin], ['AttachStdout', c.attachStdout], ['AttachStderr', c.attachStderr]] as const) if (v) attach[k] = true;
  if (Object.keys(attach).length) out.views = { ...(out.views ?? {}), dockerConfig: attach };
  return out;
}
