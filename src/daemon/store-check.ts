import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { execFile } from 'node:child_process';
import { readFile, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContentStore } from '../core/content/index.js';
import type { ContainerStore, ImageStore, LeaseStore, VolumeStore } from '../core/metadata/index.js';
import { deleteHostLink, hostVethName, removeNetns } from '../core/network/index.js';

const execFileP = promisify(execFile);
import { chainIds } from '../core/images/index.js';
import type { Runtime } from '../core/runtime/index.js';
import { mountsUnder, unmountAll, type Snapshotter } from '../core/snapshots/index.js';
import type { CheckPorts } from '../services/index.js';
import { isDigest, type Digest } from '../util/index.js';

export interface StoreCheckParts {
  dataRoot: string;
  execRoot: string;
  images: ImageStore;
  content: ContentStore;
  snapshotter: Snapshotter;
  leases: LeaseStore;
  containers: ContainerStore;
  volumes: VolumeStore;
  runtime: Runtime;
  /** docker.io/library/x:latest -> x:latest, as the user names images. */
  familiar: (ref: string) => string;
  /** This berthd's bridge networks: their ids and Linux bridges. */
  networks: () => { id: string; bridge?: string }[];
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

const CONTAINER_IN_PATH = /\/containers\/([a-f0-9]{64})(\/|$)/;

/** The ports of `system check` over berthd's own stores and folders. */
export function storeCheckPorts(p: StoreCheckParts): CheckPorts {
  const containersDir = join(p.dataRoot, 'containers');
  const volumesDir = join(p.dataRoot, 'volumes');
  const netnsDir = join(p.execRoot, 'netns');
  const layersDir = join(p.dataRoot, 'layers');
  return {
    images: () =>
      p.images.list().map((r) => ({
        id: r.id,
        name: p.images.tagsOf(r.id).map(p.familiar)[0] ?? '<none>',
        blobs: [r.configDigest, ...(r.manifestDigest ? [r.manifestDigest] : []), ...r.layers.map((l) => l.digest)],
        chainIds: chainIds(r.layers.map((l) => l.diffId)),
      })),
    blobs: {
      list: () => p.content.list(),
      async verify(d, signal) {
        if (!(await p.content.info(d))) return 'missing';
        const h = createHash('sha256');
        await pipeline(createReadStream(p.content.path(d)), h, ...(signal ? [{ signal }] : []));
        return `sha256:${h.digest('hex')}` === d ? 'ok' : 'corrupt';
      },
      remove: (d) => p.content.delete(d),
    },
    layers: {
      list: async () => (await names(layersDir)).map((n) => `sha256:${n}`).filter((d) => isDigest(d)),
      remove: (c) => p.snapshotter.removeLayer(c as Digest),
    },
    leased: (kind) => p.leases.held(kind),
    containers: () => p.containers.list().map((c) => ({ id: c.id, name: c.name.replace(/^\//, ''), status: c.state.status, layers: c.layers })),
    containerDirs: async () => (await names(containersDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)),
    async removeContainerDir(id) {
      // Nothing mounted beneath is deleted through: detach first, deepest first.
      for (const m of await mountsUnder(join(containersDir, id))) await unmountAll(m);
      await p.snapshotter.remove(id);
      await rm(join(containersDir, id), { recursive: true, force: true });
    },
    runtimeStatus: async (id) => (await p.runtime.state(id).catch(() => null))?.status ?? null,
    volumes: () => p.volumes.list().map((v) => v.name),
    volumeDirs: () => names(volumesDir),
    async removeVolumeDir(name) {
      for (const m of await mountsUnder(join(volumesDir, name))) await unmountAll(m);
      await rm(join(volumesDir, name), { recursive: true, force: true });
    },
    async mounts() {
      const all = [...(await mountsUnder(p.dataRoot)), ...(await mountsUnder(p.execRoot))];
      return all.filter((m) => !m.startsWith(`${netnsDir}/`)).map((path) => ({ path, containerId: CONTAINER_IN_PATH.exec(path)?.[1] ?? null }));
    },
    unmount: (path) => unmountAll(path),
    netns: async () => (await names(netnsDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)),
    removeNetns: (id) => removeNetns(join(netnsDir, id)),
    async veths() {
      const expected = new Set<string>();
      for (const c of p.containers.list()) for (const ep of Object.values(c.networks ?? {})) if (ep.ifname) expected.add(hostVethName(c.id, ep.ifname));
      const out: { name: string; bridge: string; owned: boolean }[] = [];
      for (const n of p.networks()) {
        if (!n.bridge) continue;
        for (const port of await names(`/sys/class/net/${n.bridge}/brif`)) {
          if (BERTH_VETH.test(port)) out.push({ name: port, bridge: n.bridge, owned: expected.has(port) });
        }
      }
      return out;
    },
    removeVeth: async (name) => deleteHostLink(name),
    async masqueradeRules() {
      const known = new Set(p.networks().map((n) => n.id));
      // The IPv4 rules and the NAT66 ones of IPv6 networks (ip6tables): an IPv6 rule's -s names an IPv6 subnet.
      const list = (tool: string): Promise<string> => execFileP(tool, ['-w', '-t', 'nat', '-S', 'POSTROUTING']).then((r) => r.stdout, () => '');
      const text = `${await list('iptables')}\n${await list('ip6tables')}`;
      const out: { rule: string; network: string; known: boolean; bridgeExists: boolean }[] = [];
      for (const line of text.split('\n')) {
        const id = /--comment "?berth ([a-f0-9]{64})"?/.exec(line)?.[1];
        const bridge = / ! -o (\S+) /.exec(line)?.[1];
        if (!id || !bridge || !line.startsWith('-A POSTROUTING ')) continue;
        const bridgeExists = await readFile(`/sys/class/net/${bridge}/ifindex`).then(() => true, () => false);
        out.push({ rule: line.slice('-A '.length), network: id, known: known.has(id), bridgeExists });
      }
      return out;
    },
    async removeMasqueradeRule(rule) {
      await execFileP(/ -s [0-9a-fA-F]*:[0-9a-fA-F:]*\//.test(` ${rule}`) ? 'ip6tables' : 'iptables', ['-w', '-t', 'nat', '-D', ...splitRule(rule)]);
    },
    async cgroups() {
      const out: { path: string; containerId: string; empty: boolean; ageMs: number }[] = [];
      for (const ctrl of await names(CGROUP_ROOT)) {
        const parent = join(CGROUP_ROOT, ctrl, 'berth');
        for (const id of await names(parent)) {
          if (!/^[a-f0-9]{64}$/.test(id)) continue;
          const dir = join(parent, id);
          const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => null);
          if (procs === null) continue;
          const st = await stat(dir).catch(() => null);
          out.push({ path: dir, containerId: id, empty: procs.trim() === '', ageMs: Date.now() - (st?.mtimeMs ?? Date.now()) });
        }
      }
      return out;
    },
    removeCgroup: (path) => rmdir(path),
  };
}

/** How berth names the host end of a container's interface (core/network's hostVethName). */
const BERTH_VETH = /^veth[0-9a-f]{11}$/;
const CGROUP_ROOT = '/sys/fs/cgroup';

/** An iptables -S rule as its words, the comment's quotes kept together. */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}
