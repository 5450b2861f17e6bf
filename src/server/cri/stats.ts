import { InvalidArgument } from '../../errdefs/index.js';
import { containerUsage, type ContainerRecord, type SandboxRecord } from '../../services/index.js';
import { viewOf } from './containers.js';
import type { CriDeps } from './deps.js';
import { criContainer } from './lookup.js';
import { unary } from './rpc.js';
import { map, obj, selects, str, type Msg } from './wire.js';

const u64 = (n: number): Msg => ({ value: String(Math.max(0, Math.trunc(n))) });

function live(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

/**
 * ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats from the containers'
 * cgroups (cumulative CPU time and memory; kubelet computes the rates) and their writable layers.
 * A pod's figures are its containers' summed: berth's pods have no process of their own.
 */
export function statsHandlers(deps: CriDeps) {
  const ns = deps.config.namespace;
  const svc = deps.containers;
  const inNs = <T>(fn: () => T): T => svc.inNamespace(ns, fn);

  async function containerStats(rec: ContainerRecord): Promise<Msg> {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const v = viewOf(rec);
    const [u, layer] = await Promise.all([live(rec) ? containerUsage(rec) : undefined, deps.writableLayerUsage(rec.id).catch(() => undefined)]);
    return {
      attributes: { id: rec.id, metadata: { name: v.name, attempt: v.attempt }, labels: v.labels, annotations: v.annotations },
      cpu: u ? { timestamp: now, usage_core_nano_seconds: u64(u.cpuNs) } : null,
      memory: u
        ? { timestamp: now, working_set_bytes: u64(u.workingSet), available_bytes: u64(u.memoryLimit - u.workingSet), usage_bytes: u64(u.memoryUsage), rss_bytes: u64(u.rss), page_faults: u64(u.pageFaults), major_page_faults: u64(u.majorPageFaults) }
        : null,
      writable_layer: layer ? { timestamp: now, fs_id: { mountpoint: layer.mountpoint }, used_bytes: u64(layer.usedBytes), inodes_used: u64(layer.inodesUsed) } : null,
    };
  }

  async function podStats(pod: SandboxRecord): Promise<Msg> {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const containers = await Promise.all(deps.pods.containersOf(pod.id).filter(live).map(containerStats));
    const sum = (pick: (c: Msg) => unknown): number => containers.reduce((a, c) => a + Number((obj(pick(c)) ?? {})['value'] ?? 0), 0);
    return {
      attributes: { id: pod.id, metadata: { name: pod.metadata.name, uid: pod.metadata.uid, namespace: pod.metadata.namespace, attempt: pod.metadata.attempt }, labels: pod.labels, annotations: pod.annotations },
      linux: {
        cpu: { timestamp: now, usage_core_nano_seconds: u64(sum((c) => obj(c['cpu'])?.['usage_core_nano_seconds'])) },
        memory: { timestamp: now, working_set_bytes: u64(sum((c) => obj(c['memory'])?.['working_set_bytes'])), usage_bytes: u64(sum((c) => obj(c['memory'])?.['usage_bytes'])), rss_bytes: u64(sum((c) => obj(c['memory'])?.['rss_bytes'])) },
        process: { timestamp: now, process_count: u64(containers.length) },
        containers,
      },
    };
  }

  const container = (id: string): ContainerRecord => criContainer(deps, id);

  return {
    ContainerStats: unary('ContainerStats', async (req) => {
      const id = str(req, 'container_id');
      if (!id) throw new InvalidArgument('ContainerStats: container_id is required');
      return { stats: await containerStats(container(id)) };
    }),

    ListContainerStats: unary('ListContainerStats', async (req) => {
      const f = obj(req['filter']);
      const id = str(f, 'id');
      const pod = str(f, 'pod_sandbox_id');
      const selector = map(f, 'label_selector');
      // As containerd: the stats of running containers.
      const recs = inNs(() => svc.list()).filter((c) => live(c) && (id === '' || c.id.startsWith(id)) && (pod === '' || (c.pod ?? '').startsWith(pod)) && selects(selector, viewOf(c).labels));
      return { stats: await Promise.all(recs.map(containerStats)) };
    }),

    PodSandboxStats: unary('PodSandboxStats', async (req) => {
      const id = str(req, 'pod_sandbox_id');
      if (!id) throw new InvalidArgument('PodSandboxStats: pod_sandbox_id is required');
      return { stats: await podStats(deps.pods.get(id)) };
    }),

    ListPodSandboxStats: unary('ListPodSandboxStats', async (req) => {
      const f = obj(req['filter']);
      const id = str(f, 'id');
      const selector = map(f, 'label_selector');
      const pods = deps.pods.list().filter((p) => p.state === 'ready' && (id === '' || p.id.startsWith(id)) && selects(selector, p.labels));
      return { stats: await Promise.all(pods.map(podStats)) };
    }),
  };
}
