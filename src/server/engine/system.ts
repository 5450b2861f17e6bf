import { arch, cpus, totalmem } from 'node:os';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps, SystemFacts } from './deps.js';
import { availableLogDrivers } from '../../services/index.js';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };
const UNAME_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', s390x: 's390x', ppc64: 'ppc64le' };

/** dockerd's Commit of a tool it runs (ID, Expected): berth records none. */
const NO_COMMIT = { ID: '', Expected: '' };

export function systemRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const s = deps.system;
  const ping: Handler = (ctx) => {
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', ping);

  r.add('GET', '/version', async (ctx) => {
    const tools = await s.components;
    const goArch = GO_ARCH[arch()] ?? arch();
    ctx.sendJson(200, {
      Platform: { Name: 'berth' },
      Components: [
        {
          Name: 'Engine',
          Version: s.version,
          Details: { ApiVersion: s.apiVersion, MinAPIVersion: s.minApiVersion, Os: 'linux', Arch: goArch, KernelVersion: s.kernelVersion, GitCommit: '', GoVersion: process.version, BuildTime: '' },
        },
        ...tools.map((t) => ({ Name: t.name, Version: t.version, Details: { GitCommit: t.gitCommit } })),
      ],
      Version: s.version,
      ApiVersion: s.apiVersion,
      MinAPIVersion: s.minApiVersion,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: goArch,
      KernelVersion: s.kernelVersion,
      ...(s.experimental ? { Experimental: true } : {}),
      BuildTime: '',
    });
  });

  // Every key of dockerd's types.Info (API 1.43), in its order; Swarm as a node outside any swarm has it.
  r.add('GET', '/info', (ctx) => {
    const containers = deps.containers.list();
    const count = (st: string): number => containers.filter((c) => c.state.status === st).length;
    ctx.sendJson(200, {
      ID: s.id,
      Containers: containers.length,
      ContainersRunning: count('running'),
      ContainersPaused: count('paused'),
      ContainersStopped: containers.length - count('running') - count('paused'),
      Images: deps.images.count(),
      Driver: s.driver === 'overlay' ? 'overlay2' : 'vfs',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Snapshotter', s.driver],
      ],
      Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: availableLogDrivers() },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: s.cgroupFeatures ? s.cgroupFeatures.cpusetCpus !== undefined : true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: false,
      NFd: 0,
      OomKillDisable: s.cgroupFeatures?.oomKillDisable ?? true,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: deps.containers.defaultLogDriver(),
      CgroupDriver: 'cgroupfs',
      CgroupVersion: s.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: s.kernelVersion,
      OperatingSystem: s.operatingSystem,
      OSVersion: '',
      OSType: 'linux',
      Architecture: UNAME_ARCH[arch()] ?? arch(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: s.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: s.name,
      Labels: [],
      ExperimentalBuild: s.experimental === true,
      ServerVersion: s.version,
      Runtimes: wireRuntimes(s),
      DefaultRuntime: s.defaultRuntime ?? 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'catatonit',
      ContainerdCommit: NO_COMMIT,
      RuncCommit: NO_COMMIT,
      InitCommit: NO_COMMIT,
      SecurityOptions: [`name=seccomp,profile=${s.seccompProfile ?? 'builtin'}`, ...(s.userns ? ['name=userns'] : []), 'name=cgroupns'],
      Warnings: infoWarnings(s),
      // API 1.46: where CDI specs are read (empty with CDI off), shown by docker info as "CDI spec directories".
      CDISpecDirs: s.cdiSpecDirs ?? [],
    });
  });
}

/**
 * Info's Runtimes: path and runtimeArgs as dockerd shows them; a runtime that cannot run containers
 * here is listed too, with the reason in its `status` (API 1.45's map of runtime facts).
 */
function wireRuntimes(s: SystemFacts): Record<string, { path: string; runtimeArgs?: string[]; status?: Record<string, string> }> {
  const list = s.runtimes ?? [{ name: 'runc', path: s.runtimePath, args: [] }];
  return Object.fromEntries(
    list.map((r) => [r.name, { path: r.path, ...(r.args.length ? { runtimeArgs: r.args } : {}), ...(r.unavailable !== undefined ? { status: { 'berth.unavailable': r.unavailable } } : {}) }]),
  );
}

/** dockerd's `docker info` warnings for the limits this host's cgroups cannot enforce (null: none). */
export function infoWarnings(s: SystemFacts): string[] | null {
  const out: string[] = [];
  for (const r of s.runtimes ?? []) if (r.unavailable !== undefined) out.push(`WARNING: runtime ${r.name} cannot run containers on this host: ${r.unavailable}`);
  const f = s.cgroupFeatures;
  if (!f) return out.length ? out : null;
  const v2 = s.cgroupVersion === '2';
  if (!f.oomKillDisable && !v2) out.push('WARNING: No oom kill disable support');
  if (f.cpusetCpus === undefined) out.push('WARNING: No cpuset support');
  if (!f.blkioWeight) out.push(v2 ? 'WARNING: No io.weight support' : 'WARNING: No blkio weight support');
  if (!f.blkioWeightDevice) out.push(v2 ? 'WARNING: No io.weight (per device) support' : 'WARNING: No blkio weight_device support');
  if (!f.blkioThrottle) {
    if (v2) out.push('WARNING: No io.max (rbps) support', 'WARNING: No io.max (wbps) support', 'WARNING: No io.max (riops) support', 'WARNING: No io.max (wiops) support');
    else out.push('WARNING: No blkio throttle.read_bps_device support', 'WARNING: No blkio throttle.write_bps_device support', 'WARNING: No blkio throttle.read_iops_device support', 'WARNING: No blkio throttle.write_iops_device support');
  }
  return out.length ? out : null;
}
