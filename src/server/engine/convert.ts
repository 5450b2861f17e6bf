import { humanDuration } from '../../api/index.js';
import type { ContainerRecord } from '../../services/index.js';
import { wireMounts } from './volume-convert.js';
import { networkSettings, summaryPorts } from './network-convert.js';
import { healthToWire, networkModeOf, wireHostConfig } from './dialect/index.js';

/** The STATUS column text of `docker ps`. */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.state;
  switch (s.status) {
    case 'running': {
      const h = s.health?.status;
      const suffix = h === 'starting' ? ' (health: starting)' : h === 'healthy' || h === 'unhealthy' ? ` (${h})` : '';
      return `Up ${humanDuration(now - Date.parse(s.startedAt))}${suffix}`;
    }
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
}

function commandLine(c: ContainerRecord): string {
  return c.spec.process.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** Container inspect's Config: the keys of Docker's container.Config in its order, `omitempty` ones only when set. */
export function wireConfig(c: ContainerRecord): Record<string, unknown> {
  const { process: p, networking: n, lifecycle: l } = c.spec;
  // The attach flags change nothing: kept as the client sent them in the Docker view (true ones only).
  const attach = c.views?.['dockerConfig'] ?? {};
  const keys = (l: string[]): Record<string, object> => Object.fromEntries(l.map((k) => [k, {}]));
  return {
    Hostname: n.hostname,
    Domainname: n.domainname,
    User: p.user,
    AttachStdin: attach['AttachStdin'] === true,
    AttachStdout: attach['AttachStdout'] === true,
    AttachStderr: attach['AttachStderr'] === true,
    ...(n.exposedPorts.length ? { ExposedPorts: keys(n.exposedPorts) } : {}),
    Tty: p.terminal,
    OpenStdin: p.stdin.open,
    StdinOnce: p.stdin.once,
    Env: p.env,
    Cmd: p.command,
    ...(l.healthcheck ? { Healthcheck: healthToWire(l.healthcheck) } : {}),
    Image: c.spec.rootfs.image,
    Volumes: c.spec.volumes.length ? keys(c.spec.volumes) : null,
    WorkingDir: p.cwd,
    Entrypoint: p.entrypoint,
    OnBuild: null,
    Labels: c.spec.labels,
    ...(l.stopSignal ? { StopSignal: l.stopSignal } : {}),
    ...(l.stopTimeout !== undefined ? { StopTimeout: l.stopTimeout } : {}),
  };
}

export interface InspectPaths {
  dir: string;
  logPath: string;
  rootfs: string;
  upper: string;
  lowers: string[];
}

export function containerInspect(c: ContainerRecord, p: InspectPaths, links: string[] = []): Record<string, unknown> {
  const s = c.state;
  const overlay = c.driver === 'overlay';
  return {
    Id: c.id,
    Created: c.created,
    Path: c.spec.process.args[0] ?? '',
    Args: c.spec.process.args.slice(1),
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health
        ? { Health: { Status: s.health.status, FailingStreak: s.health.failingStreak, Log: s.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) } }
        : {}),
    },
    Image: c.imageId,
    ResolvConfPath: `${p.dir}/resolv.conf`,
    HostnamePath: `${p.dir}/hostname`,
    HostsPath: `${p.dir}/hosts`,
    LogPath: p.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: overlay ? 'overlay2' : 'vfs',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: wireHostConfig(c, links),
    GraphDriver: {
      Name: overlay ? 'overlay2' : 'vfs',
      Data: overlay
        ? { LowerDir: p.lowers.join(':'), MergedDir: p.rootfs, UpperDir: p.upper, WorkDir: p.upper.replace(/upper$/, 'work') }
        : { MergedDir: p.rootfs },
    },
    Mounts: wireMounts(c),
    Config: wireConfig(c),
    NetworkSettings: networkSettings(c),
  };
}

/** `linkNames`: the names it has as a link target (`/parent/alias`); sorted with its own, as dockerd lists them. */
export function containerSummary(c: ContainerRecord, imageName: string, linkNames: string[] = []): Record<string, unknown> {
  return {
    Id: c.id,
    Names: [`/${c.name}`, ...linkNames].sort(),
    Image: imageName,
    ImageID: c.imageId,
    Command: commandLine(c),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: summaryPorts(c),
    Labels: c.spec.labels,
    State: c.state.status,
    Status: statusText(c),
    HostConfig: { NetworkMode: networkModeOf(c.spec) },
    NetworkSettings: { Networks: networkSettings(c)['Networks'] },
    Mounts: wireMounts(c),
  };
}
