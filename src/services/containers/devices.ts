import { stat } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CdiRegistry, ContainerEdits } from '../../core/cdi/index.js';
import type { ContainerDevice, ContainerSpecInput, OciHooks, OciRuntime, OciRuntimeStatus } from '../../core/runtime/index.js';
import type { ContainerSpec, DeviceRequest } from '../../core/metadata/index.js';
import { resolveDevices } from './host-resolve.js';

/** The OCI runtimes berthd offers, probed at its start. */
export interface RuntimeCatalog {
  /** The runtime of containers that name none. */
  readonly defaultName: string;
  get(name: string): OciRuntimeStatus | undefined;
}

/** What the container service needs to choose a runtime and inject devices; absent: runc, no CDI. */
export interface DeviceDeps {
  runtimes?: RuntimeCatalog;
  cdi?: Pick<CdiRegistry, 'resolve' | 'list'>;
}

/** The CDI kind `--gpus` selects devices of (the NVIDIA Container Toolkit's spec). */
const GPU_KIND = 'nvidia.com/gpu';

/** Go's %v of a [][]string, the form of dockerd's message. */
const goList = (v: string[][]): string => `[${v.map((l) => `[${l.join(' ')}]`).join(' ')}]`;

/**
 * At create: the runtime named (or the daemon's default) must exist and run containers here, and
 * every device request must come to CDI devices the specs define. Fills spec.runtime and spec.security.cdiDevices.
 */
export async function planDevices(spec: Pick<ContainerSpec, 'runtime' | 'security'>, deps: DeviceDeps): Promise<void> {
  await resolveDevices(spec.security.devices);
  const name = spec.runtime ?? deps.runtimes?.defaultName ?? 'runc';
  const rt = deps.runtimes ? deps.runtimes.get(name) : name === 'runc' ? { name, path: 'runc', args: [] } : undefined;
  if (!rt) throw new InvalidArgument(`unknown or invalid runtime name: ${name}`);
  if (rt.unavailable !== undefined) throw new InvalidArgument(`runtime ${name} cannot run containers on this host: ${rt.unavailable}`);
  spec.runtime = name;
  const names = await cdiNames(spec.security.deviceRequests ?? [], deps);
  if (names.length) {
    // dockerd's words when no CDI driver is registered.
    if (!deps.cdi) throw new InvalidArgument('could not select device driver "cdi" with capabilities: [] (CDI is off: daemon.json features.cdi is false)');
    await deps.cdi.resolve(names);
    spec.security.cdiDevices = names;
  }
}

/** The CDI names of the requests: 'cdi' ones as named, GPU ones from the nvidia.com/gpu devices the specs define. */
async function cdiNames(requests: readonly DeviceRequest[], deps: DeviceDeps): Promise<string[]> {
  const out: string[] = [];
  for (const r of requests) {
    if (r.driver === 'cdi') {
      out.push(...r.deviceIds);
      continue;
    }
    const wantsGpu = r.capabilities.some((caps) => caps.includes('gpu'));
    const gpus = wantsGpu && (r.driver === '' || r.driver === 'nvidia') ? ((await deps.cdi?.list()) ?? []).filter((n) => n.startsWith(`${GPU_KIND}=`)) : [];
    const pick = r.deviceIds.length
      ? r.deviceIds.map((id) => `${GPU_KIND}=${id}`).filter((n) => gpus.includes(n))
      : r.count < 0
        ? gpus.includes(`${GPU_KIND}=all`) ? [`${GPU_KIND}=all`] : gpus
        : gpus.filter((n) => n !== `${GPU_KIND}=all`).slice(0, r.count);
    const enough = r.deviceIds.length ? pick.length === r.deviceIds.length : r.count < 0 ? pick.length > 0 : pick.length >= r.count && pick.length > 0;
    if (!enough) throw new InvalidArgument(`could not select device driver "${r.driver}" with capabilities: ${goList(r.capabilities)}`);
    out.push(...pick);
  }
  return [...new Set(out)];
}

/** The runtime a container runs with (a record older than the choice: runc). */
export function runtimeOf(spec: Pick<ContainerSpec, 'runtime'>, deps: DeviceDeps): OciRuntime | undefined {
  const name = spec.runtime ?? 'runc';
  const rt = deps.runtimes?.get(name);
  if (!rt) {
    if (name === 'runc') return undefined;
    throw new InvalidArgument(`unknown or invalid runtime name: ${name}`);
  }
  if (rt.unavailable !== undefined) throw new InvalidArgument(`runtime ${name} cannot run containers on this host: ${rt.unavailable}`);
  return { name: rt.name, path: rt.path, args: rt.args };
}

/** A CDI device node made concrete: type and numbers from the host node when the spec leaves them out. */
async function deviceNode(n: ContainerEdits['deviceNodes'][number]): Promise<ContainerDevice | undefined> {
  const host = n.hostPath ?? n.path;
  let type = n.type;
  let major = n.major;
  let minor = n.minor;
  let fileMode = n.fileMode;
  if (type === undefined || major === undefined || minor === undefined || fileMode === undefined) {
    const st = await stat(host).catch((e: unknown) => {
      throw new InvalidArgument(`CDI device injection failed: device node ${host} of a CDI spec: no such device`, { cause: e });
    });
    if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new InvalidArgument(`CDI device injection failed: ${host} of a CDI spec is not a device node`);
    type ??= st.isCharacterDevice() ? 'c' : 'b';
    major ??= Number((BigInt(st.rdev) >> 8n) & 0xfffn);
    minor ??= Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
    fileMode ??= st.mode & 0o777;
  }
  if (type !== 'c' && type !== 'b') throw new InvalidArgument(`CDI device injection failed: device node ${n.path}: type ${type} is not supported by berth (only c and b)`);
  return { path: n.path, type, major, minor, fileMode, uid: n.uid ?? 0, gid: n.gid ?? 0, permissions: n.permissions ?? 'rwm' };
}

type CdiInput = Required<Pick<ContainerSpecInput, 'devices' | 'hooks'>> & { env: string[]; mounts: NonNullable<ContainerSpecInput['mounts']>; gids: number[] };

/** The container edits of its CDI devices, re-read from the specs at each start, in the runtime's terms. */
export async function cdiInput(spec: Pick<ContainerSpec, 'security'>, deps: DeviceDeps): Promise<CdiInput | undefined> {
  const names = spec.security.cdiDevices ?? [];
  if (!names.length) return undefined;
  if (!deps.cdi) throw new InvalidArgument('CDI device injection failed: CDI is not enabled on this berthd');
  const edits = await deps.cdi.resolve(names);
  const devices: ContainerDevice[] = [];
  for (const n of edits.deviceNodes) {
    const d = await deviceNode(n);
    if (d) devices.push(d);
  }
  const hooks: OciHooks = {};
  for (const h of edits.hooks) {
    (hooks[h.hookName] ??= []).push({ path: h.path, ...(h.args ? { args: h.args } : {}), ...(h.env ? { env: h.env } : {}), ...(h.timeout !== undefined ? { timeout: h.timeout } : {}) });
  }
  const mounts = edits.mounts.map((m) => {
    const type = m.type ?? 'bind';
    // runc binds only with a bind option; CDI specs often give just ro, nosuid, nodev.
    const options = type === 'bind' && !m.options.some((o) => o === 'bind' || o === 'rbind') ? ['rbind', ...m.options] : [...m.options];
    return { source: m.hostPath, destination: m.containerPath, type, options };
  });
  return { devices, hooks, env: edits.env, mounts, gids: edits.additionalGids };
}

/** The container's env with the CDI variables over it (a CDI variable replaces one of the same name). */
export function withCdiEnv(env: string[], cdiEnv: readonly string[]): string[] {
  const names = new Set(cdiEnv.map((e) => e.slice(0, e.indexOf('='))));
  return [...env.filter((e) => !names.has(e.slice(0, e.indexOf('=')))), ...cdiEnv];
}
