import { bytesSize } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { CLI_API_VERSION } from '../version.js';
import { Template } from '../template/index.js';

const CLIENT_VERSION = '0.1.0';

function clientInfo(): Record<string, unknown> {
  return {
    Platform: { Name: 'berth' },
    Version: CLIENT_VERSION,
    ApiVersion: CLI_API_VERSION,
    APIVersion: CLI_API_VERSION,
    DefaultAPIVersion: CLI_API_VERSION,
    GitCommit: '',
    GoVersion: process.version,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    BuildTime: '',
    Context: 'default',
  };
}

/** `label:  value` lines aligned like docker's version template (a tabwriter with padding 1). */
function aligned(indent: string, rows: Array<[string, string]>): string {
  const w = Math.max(...rows.map(([k]) => k.length + 1)) + 1;
  return rows.map(([k, v]) => `${indent}${`${k}:`.padEnd(Math.max(w, 20 - indent.length))}${v}\n`).join('');
}

export async function version(ctx: CliContext, opts: { format?: string }): Promise<number> {
  const client = clientInfo();
  const api = await ctx.api();
  const server = await api.version();
  if (opts.format !== undefined) {
    // Templates name Go's fields: docker's Version struct spells it APIVersion.
    const goServer = { ...server, APIVersion: server.ApiVersion };
    ctx.out(`${new Template(opts.format).execute({ Client: client, Server: goServer })}\n`);
    return 0;
  }
  let out = 'Client:\n';
  out += aligned(' ', [
    ['Version', CLIENT_VERSION], ['API version', CLI_API_VERSION], ['Node version', process.version],
    ['OS/Arch', `${String(client['Os'])}/${String(client['Arch'])}`], ['Context', 'default'],
  ]);
  out += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`;
  const components = server.Components ?? [{ Name: 'Engine', Version: server.Version }];
  for (const c of components) {
    out += ` ${c.Name}:\n`;
    if (c.Name === 'Engine') {
      out += aligned('  ', [
        ['Version', server.Version], ['API version', `${server.ApiVersion} (minimum version ${server.MinAPIVersion})`],
        ['Go version', server.GoVersion], ['Git commit', server.GitCommit], ['Built', server.BuildTime],
        ['OS/Arch', `${server.Os}/${server.Arch}`], ['Experimental', String(server.Experimental === true)],
      ]);
    } else {
      const rows: Array<[string, string]> = [['Version', c.Version]];
      for (const [k, v] of Object.entries(c.Details ?? {})) rows.push([k, v]);
      out += aligned('  ', rows);
    }
  }
  ctx.out(out);
  return 0;
}

export async function info(ctx: CliContext, opts: { format?: string }): Promise<number> {
  const api = await ctx.api();
  const i = await api.info();
  if (opts.format !== undefined) {
    ctx.out(`${new Template(opts.format).execute({ ...i, ClientInfo: { ...clientInfo(), Debug: ctx.debug } })}\n`);
    return 0;
  }
  const lines: string[] = [
    'Client:',
    ` Version:    ${CLIENT_VERSION}`,
    ' Context:    default',
    ` Debug Mode: ${ctx.debug}`,
    '',
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
  ];
  for (const [k, v] of i.DriverStatus ?? []) lines.push(`  ${k}: ${v}`);
  lines.push(
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
  );
  // Where the docker CLI puts them: after the plugins, before Swarm and the runtimes.
  if (i.CDISpecDirs?.length) lines.push(' CDI spec directories:', ...i.CDISpecDirs.map((d) => `  ${d}`));
  if (i.Runtimes) lines.push(` Runtimes: ${Object.keys(i.Runtimes).sort().join(' ')}`);
  lines.push(` Default Runtime: ${i.DefaultRuntime}`);
  if (i.InitBinary) lines.push(` Init Binary: ${i.InitBinary}`);
  if (i.SecurityOptions.length > 0) lines.push(' Security Options:', ...i.SecurityOptions.flatMap(securityOptionLines));
  lines.push(
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ` Experimental: ${i.ExperimentalBuild}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
  );
  if (i.Labels.length > 0) lines.push(' Labels:', ...i.Labels.map((l) => `  ${l}`));
  ctx.out(`${lines.join('\n')}\n`);
  for (const w of i.Warnings ?? []) ctx.err(`${w}\n`);
  return 0;
}

/** "name=seccomp,profile=builtin" as the docker CLI prints it: the name, then its profile on a line of its own. */
function securityOptionLines(opt: string): string[] {
  const kv = new Map<string, string>();
  for (const part of opt.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const profile = kv.get('profile');
  return [`  ${kv.get('name') ?? opt}`, ...(profile !== undefined ? [`   Profile: ${profile}`] : [])];
}
