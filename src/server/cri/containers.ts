import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Conflict, InvalidArgument, NotFound, NotModified, Unavailable, isNotFound } from '../../errdefs/index.js';
import { reopenContainerLog, type ContainerRecord } from '../../services/index.js';
import type { CriDeps } from './deps.js';
import { criContainer } from './lookup.js';
import { unary } from './rpc.js';
import { containerInput, resourcesOf, type CriView } from './translate.js';
import { map, nanos, obj, selects, str, type Msg } from './wire.js';

/** CRI's container state of a record's status. */
function stateOf(rec: ContainerRecord): string {
  switch (rec.state.status) {
    case 'created':
      return 'CONTAINER_CREATED';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'CONTAINER_RUNNING';
    case 'exited':
    case 'dead':
      return 'CONTAINER_EXITED';
    case 'removing':
      return 'CONTAINER_UNKNOWN';
  }
}

export function viewOf(rec: ContainerRecord): CriView {
  const v = rec.views?.['cri'] as unknown as CriView | undefined;
  return v ?? { name: rec.name, attempt: 0, image: rec.spec.rootfs.image, labels: rec.spec.labels, annotations: {}, logPath: '', mounts: [] };
}

function summary(rec: ContainerRecord): Msg {
  const v = viewOf(rec);
  return {
    id: rec.id,
    pod_sandbox_id: rec.pod ?? '',
    metadata: { name: v.name, attempt: v.attempt },
    image: { image: v.image },
    image_ref: rec.imageId,
    state: stateOf(rec),
    created_at: nanos(rec.created),
    labels: v.labels,
    annotations: v.annotations,
  };
}

/** Why it exited, as kubelet shows it: OOMKilled, Completed (0) or Error. */
function reasonOf(rec: ContainerRecord): string {
  if (stateOf(rec) !== 'CONTAINER_EXITED') return '';
  if (rec.state.oomKilled) return 'OOMKilled';
  return rec.state.exitCode === 0 ? 'Completed' : 'Error';
}

export function containerStatus(rec: ContainerRecord): Msg {
  const v = viewOf(rec);
  const exited = stateOf(rec) === 'CONTAINER_EXITED';
  const started = rec.state.status === 'created' ? '0' : nanos(rec.state.startedAt);
  // The start is stamped once runc reports it, the exit by the exit file's mtime: a process that
  // ends at once can seem to end before it started; kubelet wants them in order.
  const finished = exited ? nanos(rec.state.finishedAt) : '0';
  return {
    ...summary(rec),
    started_at: started,
    finished_at: exited && BigInt(finished) < BigInt(started) ? started : finished,
    exit_code: exited ? rec.state.exitCode : 0,
    reason: reasonOf(rec),
    message: rec.state.error,
    mounts: v.mounts,
    log_path: v.logPath,
  };
}

/** Waits (a few seconds at most) for conmon to have made the container's log file again. */
async function logReopened(id: string, path: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Unavailable(`ReopenContainerLog: the log of container ${id} was not made again at ${path} within 5s (its monitor did not answer)`);
}

function idOf(req: Msg, rpc: string): string {
  const id = str(req, 'container_id');
  if (!id) throw new InvalidArgument(`${rpc}: container_id is required`);
  return id;
}

/** The container RPCs, each run in the CRI's namespace of the store. */
export function containerHandlers(deps: CriDeps) {
  const ns = deps.config.namespace;
  const svc = deps.containers;
  const inNs = <T>(fn: () => T): T => svc.inNamespace(ns, fn);
  const get = (id: string): ContainerRecord => criContainer(deps, id);

  return {
    CreateContainer: unary('CreateContainer', async (req) => {
      const podId = str(req, 'pod_sandbox_id');
      if (!podId) throw new InvalidArgument('CreateContainer: pod_sandbox_id is required');
      const pod = deps.pods.get(podId);
      if (pod.state !== 'ready') throw new NotModified(`CreateContainer: pod sandbox ${pod.id} is not ready (stopped)`);
      const ref = str(obj(obj(req['config'])?.['image']), 'image');
      if (!ref) throw new InvalidArgument('CreateContainer: the image is required (config.image.image is empty)');
      let imageId: string;
      try {
        imageId = deps.images.get(ref).id;
      } catch (e) {
        if (isNotFound(e)) throw new NotFound(`CreateContainer: image ${ref} not found (pull it first)`, { cause: e });
        throw e;
      }
      const { input, view } = await containerInput(req['config'], pod, imageId, ns);
      const taken = inNs(() => svc.list()).find((c) => c.name === input.name);
      if (taken) throw new Conflict(`CreateContainer: the name "${input.name}" is reserved for container ${taken.id}`);
      if (view.logPath) await mkdir(dirname(view.logPath), { recursive: true });
      const rec = await inNs(() => svc.create(input));
      return { container_id: rec.id };
    }),

    StartContainer: unary('StartContainer', async (req) => {
      const rec = get(idOf(req, 'StartContainer'));
      const pod = rec.pod ? deps.pods.get(rec.pod) : undefined;
      if (pod && pod.state !== 'ready') throw new NotModified(`StartContainer: pod sandbox ${pod.id} of container ${rec.id} is not ready`);
      await inNs(() => svc.start(rec.id));
      return {};
    }),

    StopContainer: unary('StopContainer', async (req) => {
      const rec = get(idOf(req, 'StopContainer'));
      const timeout = Number(str(req, 'timeout') || '0');
      try {
        await inNs(() => svc.stop(rec.id, { timeout: Math.max(0, timeout) }));
      } catch (e) {
        // Stopping a stopped container succeeds: kubelet repeats stops.
        if (!(e instanceof NotModified)) throw e;
      }
      return {};
    }),

    RemoveContainer: unary('RemoveContainer', async (req) => {
      const id = idOf(req, 'RemoveContainer');
      let rec: ContainerRecord;
      try {
        rec = get(id);
      } catch (e) {
        // As containerd: removing what is gone succeeds.
        if (isNotFound(e)) return {};
        throw e;
      }
      await inNs(() => svc.remove(rec.id, { force: true }));
      return {};
    }),

    ListContainers: unary('ListContainers', async (req) => {
      const f = obj(req['filter']);
      const id = str(f, 'id');
      const pod = str(f, 'pod_sandbox_id');
      const state = obj(f?.['state']);
      const selector = map(f, 'label_selector');
      const containers = inNs(() => svc.list())
        .filter((c) => (id === '' || c.id.startsWith(id)) && (pod === '' || (c.pod ?? '').startsWith(pod)) && (!state || stateOf(c) === str(state, 'state')) && selects(selector, viewOf(c).labels))
        .map(summary);
      return { containers };
    }),

    UpdateContainerResources: unary('UpdateContainerResources', async (req) => {
      const rec = get(idOf(req, 'UpdateContainerResources'));
      const res = obj(req['linux']);
      if (!res) throw new InvalidArgument('UpdateContainerResources: linux resources are required');
      // Applied to the running cgroup at once, and kept for the container's next start.
      await inNs(() => svc.update(rec.id, (spec) => ({ resources: resourcesOf('UpdateContainerResources', res, spec.resources) })));
      return {};
    }),

    ReopenContainerLog: unary('ReopenContainerLog', async (req) => {
      const rec = get(idOf(req, 'ReopenContainerLog'));
      await inNs(() => reopenContainerLog(svc, rec.id));
      // conmon reopens the file when it reads the request; kubelet (and critest) look for the new
      // file as soon as the call returns, so it returns once the file is there, as CRI-O's does.
      const path = viewOf(rec).logPath;
      if (path) await logReopened(rec.id, path);
      return {};
    }),

    ContainerStatus: unary('ContainerStatus', async (req) => {
      const rec = get(idOf(req, 'ContainerStatus'));
      const info: Record<string, string> = {};
      if (req['verbose'] === true) info['info'] = JSON.stringify({ pid: rec.state.pid, sandboxID: rec.pod ?? '', spec: rec.spec });
      const status = containerStatus(rec);
      const r = rec.spec.resources;
      status['resources'] = { linux: { memory_limit_in_bytes: String(r.memory ?? 0), cpu_shares: String(r.cpuShares ?? 0), cpu_quota: String(r.cpuQuota ?? 0), cpu_period: String(r.cpuPeriod ?? 0), cpuset_cpus: r.cpusetCpus ?? '', cpuset_mems: r.cpusetMems ?? '', oom_score_adj: String(r.oomScoreAdj ?? 0), memory_swap_limit_in_bytes: String(r.memorySwap ?? 0) } };
      return { status, info };
    }),
  };
}
