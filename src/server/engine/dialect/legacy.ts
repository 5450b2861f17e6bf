import type { ContainerRecord, ContainerSpec, CreateSpec, HealthState, LifecycleSpec } from '../../../services/index.js';
import { networkFromMode, specFromHostConfig } from './create.js';
import { processFromLegacy } from './legacy-config.js';
import { dockerView } from './view.js';

/**
 * A container record as an older berth wrote it, converted to today's: one without a spec first
 * gets one from its old request (specFromRequest), then one whose process side is still its
 * `config` and `path`/`args` gets it moved into the spec (processFromLegacy).
 */
export function recordFromLegacy(legacy: Record<string, unknown>): ContainerRecord {
  const withSpec = legacy['spec'] === undefined ? specFromRequest(legacy) : (legacy as Record<string, unknown> & { spec: CreateSpec });
  return withSpec['config'] !== undefined || (withSpec.spec as Partial<ContainerSpec>).process === undefined ? processFromLegacy(withSpec) : (withSpec as unknown as ContainerRecord);
}

/**
 * A container record as berth wrote it before the typed spec (its `hostConfig` held a few typed
 * fields and the request's whole HostConfig as `raw`) given a spec: the one parsed
 * from the old request, with what berth had decided or changed since (links, restart policy after an
 * update, log options merged with the daemon's) taken over; the request kept as the Docker view.
 * A request today's rules would refuse still converts (the container exists): then the spec holds
 * only the typed fields the old record had (limits and options of the request are dropped; the
 * request stays in the Docker view, so inspect still shows it).
 */
function specFromRequest(legacy: Record<string, unknown>): Record<string, unknown> & { spec: CreateSpec } {
  const { hostConfig, ...rest } = legacy as { hostConfig?: LegacyHostConfig } & Record<string, unknown>;
  const h: LegacyHostConfig = hostConfig ?? { raw: {} };
  const raw = h.raw ?? {};
  const config = (rest['config'] ?? {}) as { volumes?: Record<string, object> };
  let spec: CreateSpec;
  try {
    spec = specFromHostConfig(raw, config.volumes ?? {});
  } catch {
    spec = specFromHostConfig({}, {});
  }
  if (h.networkMode) {
    const { netns, network } = networkFromMode(h.networkMode);
    spec.namespaces.network = netns;
    spec.networking.network = network;
  }
  if (h.restartPolicy) spec.lifecycle.restartPolicy = { name: (h.restartPolicy.name || 'no') as LifecycleSpec['restartPolicy']['name'], maximumRetryCount: h.restartPolicy.maximumRetryCount };
  if (h.autoRemove !== undefined) spec.lifecycle.autoRemove = h.autoRemove;
  if (h.privileged !== undefined) spec.security.privileged = h.privileged;
  if (h.readonlyRootfs !== undefined) spec.rootfs.readOnly = h.readonlyRootfs;
  if (h.capAdd) spec.security.capAdd = h.capAdd;
  if (h.capDrop) spec.security.capDrop = h.capDrop;
  if (h.portBindings) spec.networking.portBindings = h.portBindings;
  if (h.logType) spec.logging.driver = h.logType;
  if (h.logOpts) spec.logging.options = h.logOpts;
  else delete spec.logging.options;
  if (h.links?.length) spec.networking.links = h.links;
  if (h.deviceCgroupRules) spec.security.deviceCgroupRules = h.deviceCgroupRules;
  if (h.extraHosts) spec.networking.extraHosts = h.extraHosts;
  if (h.shmSize) spec.resources.shmSize = h.shmSize;
  const view = dockerView({ ...raw, ...(h.binds ? { Binds: h.binds } : {}) }, spec);
  const out = { ...(rest as unknown as ContainerRecord), spec, ...(view ? { views: { docker: view } } : {}) } as unknown as Record<string, unknown> & { spec: CreateSpec; state: ContainerRecord['state'] };
  // The health state was kept in Docker's words too.
  const health = (rest['state'] as { health?: LegacyHealth } | undefined)?.health;
  if (health && 'Status' in health) {
    out.state = {
      ...out.state,
      health: {
        status: health.Status as HealthState['status'],
        failingStreak: health.FailingStreak ?? 0,
        log: (health.Log ?? []).map((l) => ({ start: l.Start, end: l.End, exitCode: l.ExitCode, output: l.Output })),
      },
    };
  }
  return out;
}

interface LegacyHealth {
  Status: string;
  FailingStreak?: number;
  Log?: { Start: string; End: string; ExitCode: number; Output: string }[];
}

/** The stored `hostConfig` of records written before the typed spec. */
interface LegacyHostConfig {
  autoRemove?: boolean;
  networkMode?: string;
  binds?: string[];
  privileged?: boolean;
  readonlyRootfs?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  restartPolicy?: { name: string; maximumRetryCount: number };
  portBindings?: ContainerSpec['networking']['portBindings'];
  logType?: string;
  logOpts?: Record<string, string>;
  links?: { targetId: string; alias: string }[];
  deviceCgroupRules?: ContainerSpec['security']['deviceCgroupRules'];
  extraHosts?: string[];
  shmSize?: number;
  raw?: Record<string, unknown>;
}
