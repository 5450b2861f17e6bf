import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { checkpointCommands, contextCommands, eventsCommand, infoCommand, manifestCommands } from './program-system.js';

export type Ctx = () => CliContext;
/** Sets the process exit code from an action's result. */
export type Exit = (code: number | Promise<number>) => Promise<void>;

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Options shared by `run` and `create`. */
export function runOptions(cmd: Command): Command {
  return cmd
    .helpOption('--help', 'Print usage')
    .passThroughOptions()
    .argument('<image>')
    .argument('[command...]')
    .option('-a, --attach <stream>', 'Attach to STDIN, STDOUT or STDERR', collect, [])
    .option('--cap-add <cap>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <cap>', 'Drop Linux capabilities', collect, [])
    .option('--cidfile <file>', 'Write the container ID to the file')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--cpus <n>', 'Number of CPUs')
    .option('--health-cmd <cmd>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h)')
    .option('--health-retries <n>', 'Consecutive failures needed to report unhealthy')
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)')
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h)')
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--device <device>', 'Add a host device to the container', collect, [])
    .option('--gpus <gpu-request>', "GPU devices to add to the container ('all' to pass all GPUs)", collect, [])
    .option('--runtime <runtime>', 'Runtime to use for this container')
    .option('--device-cgroup-rule <rule>', "Add a rule to the cgroup allowed devices list", collect, [])
    .option('--group-add <group>', 'Add additional groups to join', collect, [])
    .option('--security-opt <opt>', 'Security Options', collect, [])
    .option('--sysctl <sysctl>', 'Sysctl options', collect, [])
    .option('--annotation <annotation>', 'Add an annotation to the container (passed through to the OCI runtime)', collect, [])
    .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--cpu-period <n>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <n>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('--cpuset-cpus <list>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <list>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--cgroup-parent <path>', 'Optional parent cgroup for the container')
    .option('--memory-swappiness <n>', 'Tune container memory swappiness (0 to 100) (default -1)')
    .option('--entrypoint <cmd>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-e, --env <var>', 'Set environment variables', collect, [])
    .option('--env-file <file>', 'Read in a file of environment variables', collect, [])
    .option('--expose <port>', 'Expose a port or a range of ports', collect, [])
    .option('-h, --hostname <name>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-l, --label <label>', 'Set meta data on a container', collect, [])
    .option('--log-driver <driver>', 'Logging driver for the container')
    .option('--log-opt <opt>', 'Log driver options', collect, [])
    .option('--label-file <file>', 'Read in a line delimited file of labels', collect, [])
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect, [])
    .option('--name <name>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network')
    .option('--network-alias <alias>', 'Add network-scoped alias for the container', collect, [])
    .option('--link <list>', 'Add link to another container', collect, [])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--link-local-ip <address>', 'Container IPv4/IPv6 link-local addresses', collect, [])
    .option('--mac-address <address>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)')
    .option('--dns <ip>', 'Set custom DNS servers', collect, [])
    .option('--dns-search <domain>', 'Set custom DNS search domains', collect, [])
    .option('--dns-option <option>', 'Set DNS options', collect, [])
    .option('--add-host <host:ip>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--pids-limit <n>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .option('--privileged', 'Give extended privileges to this container')
    .option('-p, --publish <port>', "Publish a container's port(s) to the host", collect, [])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .addOption(new Option('--pull <policy>', 'Pull image before running').choices(['always', 'missing', 'never']))
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--restart <policy>', 'Restart policy to apply when a container exits')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--stop-signal <signal>', 'Signal to stop the container')
    .option('--stop-timeout <seconds>', 'Timeout (in seconds) to stop a container')
    .option('--tmpfs <mount>', 'Mount a tmpfs directory', collect, [])
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--ulimit <ulimit>', 'Ulimit options', collect, [])
    .option('-u, --user <user>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('--userns <mode>', 'User namespace to use ("host" opts out of the daemon\'s --userns-remap)')
    .option('--pid <mode>', 'PID namespace to use (host, container:NAME)')
    .option('--ipc <mode>', 'IPC mode to use (private, shareable, host, none, container:NAME)')
    .option('--uts <mode>', 'UTS namespace to use (host)')
    .option('--cgroupns <mode>', 'Cgroup namespace to use (host|private)')
    .option('--oom-score-adj <n>', "Tune host's OOM preferences (-1000 to 1000)")
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--cpu-rt-period <n>', 'Limit CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <n>', 'Limit CPU real-time runtime in microseconds')
    .option('--blkio-weight <n>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--blkio-weight-device <device:weight>', 'Block IO weight (relative device weight)', collect, [])
    .option('--device-read-bps <device:rate>', 'Limit read rate (bytes per second) from a device', collect, [])
    .option('--device-write-bps <device:rate>', 'Limit write rate (bytes per second) to a device', collect, [])
    .option('--device-read-iops <device:rate>', 'Limit read rate (IO per second) from a device', collect, [])
    .option('--device-write-iops <device:rate>', 'Limit write rate (IO per second) to a device', collect, [])
    .option('--storage-opt <opt>', 'Storage driver options for the container', collect, [])
    .option('-v, --volume <volume>', 'Bind mount a volume', collect, [])
    .option('--volumes-from <container>', 'Mount volumes from the specified container(s)', collect, [])
    .option('-w, --workdir <dir>', 'Working directory inside the container');
}

function containerCommands(parent: Command, ctx: Ctx, exit: Exit, top: boolean): void {
  const c = (_name: string): Promise<typeof import('./commands/containers.js')> => import('./commands/containers.js');
  const run = (): Promise<typeof import('./commands/run.js')> => import('./commands/run.js');

  runOptions(parent.command('run').description('Create and run a new container from an image'))
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--detach-keys <keys>', 'Override the key sequence for detaching a container')
    .option('--sig-proxy [bool]', 'Proxy received signals to the process (default true)')
    .action(async (image: string, args: string[], opts) => exit((await run()).runCommand(ctx(), image, args, opts)));
  runOptions(parent.command('create').description('Create a new container'))
    .action(async (image: string, args: string[], opts) => exit((await run()).createCommand(ctx(), image, args, opts)));
  parent.command('start').description('Start one or more stopped containers').argument('<container...>')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('-i, --interactive', "Attach container's STDIN")
    .option('--detach-keys <keys>', 'Override the key sequence for detaching a container')
    .option('--checkpoint <checkpoint>', 'Restore from this checkpoint')
    .option('--checkpoint-dir <dir>', 'Use a custom checkpoint storage directory')
    .action(async (ids: string[], opts) => exit((await run()).startCommand(ctx(), ids, opts)));
  parent.command('exec').description('Execute a command in a running container').argument('<container>').argument('<command...>')
    .helpOption('--help', 'Print usage')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <keys>', 'Override the key sequence for detaching a container')
    .option('-e, --env <var>', 'Set environment variables', collect, [])
    .option('--env-file <file>', 'Read in a file of environment variables', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <user>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .action(async (id: string, cmd: string[], opts) => exit((await import('./commands/exec.js')).exec(ctx(), id, cmd, opts)));
  parent.command('attach').description("Attach local standard input, output, and error streams to a running container").argument('<container>')
    .option('--detach-keys <keys>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy [bool]', 'Proxy all received signals to the process (default true)')
    .action(async (id: string, opts) => exit((await import('./commands/attach.js')).attach(ctx(), id, opts)));
  parent.command('stop').description('Stop one or more running containers').argument('<container...>')
    .option('-t, --time <seconds>', 'Seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (ids: string[], opts) => exit((await c('stop')).stop(ctx(), ids, opts)));
  parent.command('restart').description('Restart one or more containers').argument('<container...>')
    .option('-t, --time <seconds>', 'Seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (ids: string[], opts) => exit((await c('restart')).restart(ctx(), ids, opts)));
  parent.command('kill').description('Kill one or more running containers').argument('<container...>')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action(async (ids: string[], opts) => exit((await c('kill')).kill(ctx(), ids, opts)));
  const rm = parent.command('rm').description('Remove one or more containers').argument('<container...>')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .option('-l, --link', 'Remove the specified link')
    .action(async (ids: string[], opts) => exit((await c('rm')).rm(ctx(), ids, opts)));
  if (!top) rm.aliases(['remove']);
  const ps = parent.command(top ? 'ps' : 'ls').description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <format>', 'Format output using a custom template')
    .option('-n, --last <n>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .action(async (opts) => exit((await c('ps')).ps(ctx(), opts)));
  if (!top) ps.aliases(['list', 'ps']);
  parent.command('logs').description('Fetch the logs of a container').argument('<container>')
    .option('-f, --follow', 'Follow log output')
    .option('--since <time>', 'Show logs since timestamp or relative (e.g. 42m)')
    .option('--until <time>', 'Show logs before a timestamp or relative (e.g. 42m)')
    .option('-n, --tail <n>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--details', 'Show extra details provided to logs')
    .action(async (id: string, opts) => exit((await c('logs')).logs(ctx(), id, opts)));
  parent.command('wait').description('Block until one or more containers stop, then print their exit codes').argument('<container...>')
    .action(async (ids: string[]) => exit((await c('wait')).wait(ctx(), ids)));
  const ops = (): Promise<typeof import('./commands/container-ops.js')> => import('./commands/container-ops.js');
  parent.command('rename').description('Rename a container').argument('<container>').argument('<new-name>')
    .action(async (id: string, name: string) => exit((await ops()).rename(ctx(), id, name)));
  parent.command('update').description('Update configuration of one or more containers').argument('<container...>')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--cpus <n>', 'Number of CPUs')
    .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <list>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <list>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <n>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--blkio-weight <n>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--cpu-rt-period <n>', 'Limit the CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <n>', 'Limit the CPU real-time runtime in microseconds')
    .option('--restart <policy>', 'Restart policy to apply when a container exits')
    .action(async (ids: string[], opts) => exit((await ops()).update(ctx(), ids, opts)));
  parent.command('top').description('Display the running processes of a container').argument('<container>').argument('[ps-options...]')
    .passThroughOptions()
    .action(async (id: string, psArgs: string[]) => exit((await ops()).top(ctx(), id, psArgs)));
  parent.command('stats').description('Display a live stream of container(s) resource usage statistics').argument('[container...]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', 'Do not truncate output')
    .option('--format <format>', 'Format output using a custom template')
    .action(async (ids: string[], opts: { stream?: boolean; all?: boolean; format?: string; trunc?: boolean }) =>
      exit((await ops()).stats(ctx(), ids, { noStream: opts.stream === false, ...(opts.all ? { all: true } : {}), ...(opts.format ? { format: opts.format } : {}), ...(opts.trunc === false ? { noTrunc: true } : {}) })));
  parent.command('pause').description('Pause all processes within one or more containers').argument('<container...>')
    .action(async (ids: string[]) => exit((await c('pause')).pause(ctx(), ids)));
  parent.command('unpause').description('Unpause all processes within one or more containers').argument('<container...>')
    .action(async (ids: string[]) => exit((await c('unpause')).unpause(ctx(), ids)));
  fsCommands(parent, ctx, exit);
  if (!top) {
    parent.command('inspect').description('Display detailed information on one or more containers').argument('<container...>')
      .option('-f, --format <format>', 'Format output using a custom template')
      .option('-s, --size', 'Display total file sizes')
      .action(async (ids: string[], opts) => exit((await import('./commands/inspect.js')).inspect(ctx(), ids, { ...opts, type: 'container' })));
    parent.command('prune').description('Remove all stopped containers')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
      .action(async (opts) => exit((await c('prune')).prune(ctx(), opts)));
  }
}

/** `build` (also `builder build` and `image build`): the classic builder's flags. */
function buildCommand(cmd: Command, ctx: Ctx, exit: Exit): Command {
  return cmd.argument('<path>')
    .option('-t, --tag <name>', 'Name and optionally a tag in the "name:tag" format', collect, [])
    .option('-f, --file <path>', "Name of the Dockerfile (default: 'PATH/Dockerfile')")
    .option('--build-arg <arg>', 'Set build-time variables', collect, [])
    .option('--label <label>', 'Set metadata for an image', collect, [])
    .option('--target <stage>', 'Set the target build stage to build')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .option('--network <mode>', 'Set the networking mode for the RUN instructions during build')
    .option('--add-host <host:ip>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--cache-from <image>', 'Images to consider as cache sources', collect, [])
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--progress <type>', 'Set type of progress output ("auto", "plain", "tty", "quiet", "rawjson")')
    .option('-o, --output <spec>', 'Output destination (format: "type=local,dest=path")', collect, [])
    .option('--iidfile <file>', 'Write the image ID to a file')
    .option('--metadata-file <file>', 'Write build result metadata to a file')
    .option('--no-cache-filter <stage>', 'Do not cache specified stages', collect, [])
    .option('--secret <spec>', 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")', collect, [])
    .option('--ssh <spec>', 'SSH agent socket to expose to the build (format: "default|<id>[=<socket>]")', collect, [])
    .option('--allow <entitlement>', 'Allow extra privileged entitlement (e.g., "network.host", "security.insecure")', collect, [])
    .option('--rm', 'Remove intermediate containers after a successful build (always)')
    .option('--force-rm', 'Always remove intermediate containers (always)')
    .action(async (path: string, opts) => exit((await import('./commands/build.js')).build(ctx(), path, opts)));
}

function imageCommands(parent: Command, ctx: Ctx, exit: Exit, top: boolean): void {
  const im = (): Promise<typeof import('./commands/images.js')> => import('./commands/images.js');
  const io = (): Promise<typeof import('./commands/image-io.js')> => import('./commands/image-io.js');
  const ls = parent.command(top ? 'images' : 'ls').description('List images').argument('[repository]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <format>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (repo: string | undefined, opts) => exit((await im()).images(ctx(), repo, opts)));
  if (!top) ls.aliases(['list']);
  const rmi = parent.command(top ? 'rmi' : 'rm').description('Remove one or more images').argument('<image...>')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (names: string[], opts) => exit((await im()).rmi(ctx(), names, opts)));
  if (!top) rmi.aliases(['remove', 'rmi']);
  parent.command('tag').description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE').argument('<source>').argument('<target>')
    .action(async (src: string, target: string) => exit((await im()).tag(ctx(), src, target)));
  parent.command('history').description('Show the history of an image').argument('<image>')
    .option('-H, --human', 'Print sizes and dates in human readable format (default true)')
    .option('--no-human', 'Print raw sizes and dates')
    .option('--format <format>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (name: string, opts) => exit((await im()).history(ctx(), name, opts)));
  parent.command('load').description('Load an image from a tar archive or STDIN')
    .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (opts) => exit((await io()).load(ctx(), opts)));
  parent.command('save').description('Save one or more images to a tar archive (streamed to STDOUT by default)').argument('<image...>')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (names: string[], opts) => exit((await io()).save(ctx(), names, opts)));
  parent.command('import').description('Import the contents from a tarball to create a filesystem image').argument('<file>').argument('[reference]')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <message>', 'Set commit message for imported image')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .action(async (file: string, ref: string | undefined, opts) => exit((await io()).importImage(ctx(), file, ref, opts)));
  parent.command('pull').description('Download an image from a registry').argument('<name>')
    .option('--platform <platform>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .action(async (name: string, opts) => exit(opts.allTags ? (await import('./commands/pull.js')).pullAllTags(ctx(), name, opts) : (await io()).pull(ctx(), name, opts)));
  parent.command('push').description('Upload an image to a registry').argument('<name>')
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (name: string, opts) => exit((await import('./commands/push.js')).push(ctx(), name, opts)));
  if (!top) {
    buildCommand(parent.command('build').description('Build an image from a Dockerfile'), ctx, exit);
    parent.command('inspect').description('Display detailed information on one or more images').argument('<image...>')
      .option('-f, --format <format>', 'Format output using a custom template')
      .action(async (names: string[], opts) => exit((await import('./commands/inspect.js')).inspect(ctx(), names, { ...opts, type: 'image' })));
    parent.command('prune').description('Remove unused images')
      .option('-a, --all', 'Remove all unused images, not just dangling ones')
      .option('-f, --force', 'Do not prompt for confirmation')
      .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
      .action(async (opts) => exit((await im()).imagePrune(ctx(), opts)));
  }
}

function volumeCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  const v = (): Promise<typeof import('./commands/volume.js')> => import('./commands/volume.js');
  parent.command('create').description('Create a volume').argument('[volume]')
    .option('-d, --driver <driver>', 'Specify volume driver name', 'local')
    .option('--label <label>', 'Set metadata for a volume', collect, [])
    .option('-o, --opt <option>', 'Set driver specific options', collect, [])
    .option('--name <name>', 'Specify volume name')
    .action(async (name: string | undefined, opts) => exit((await v()).volumeCreate(ctx(), name, opts)));
  parent.command('ls').alias('list').description('List volumes')
    .option('-q, --quiet', 'Only display volume names')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "dangling=true")', collect, [])
    .option('--format <format>', 'Format output using a custom template')
    .action(async (opts) => exit((await v()).volumeList(ctx(), opts)));
  parent.command('inspect').description('Display detailed information on one or more volumes').argument('<volume...>')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (names: string[], opts) => exit((await v()).volumeInspect(ctx(), names, opts)));
  parent.command('rm').alias('remove').description('Remove one or more volumes').argument('<volume...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], opts) => exit((await v()).volumeRemove(ctx(), names, opts)));
  parent.command('prune').description('Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .action(async (opts) => exit((await v()).volumePrune(ctx(), opts)));
}

/** commander's complaints in docker's words: `unknown flag: --x` rather than `error: unknown option '--x'`. */
export function flagError(message: string): string {
  const m = message.replace(/^error: /, '');
  const unknown = /^unknown option '([^']+)'/.exec(m);
  return `berth: ${unknown ? `unknown flag: ${unknown[1]}\n` : m}`;
}

function networkCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  const n = (): Promise<typeof import('./commands/network.js')> => import('./commands/network.js');
  parent.command('create').description('Create a network').argument('<network>')
    .option('-d, --driver <driver>', 'Driver to manage the Network', 'bridge')
    .option('--subnet <subnet>', 'Subnet in CIDR format that represents a network segment', collect, [])
    .option('--gateway <gateway>', 'IPv4 Gateway for the master subnet', collect, [])
    .option('--ip-range <range>', 'Allocate container ip from a sub-range', collect, [])
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ipv6', 'Enable or disable IPv6 networking')
    .option('--label <label>', 'Set metadata on a network', collect, [])
    .option('-o, --opt <option>', 'Set driver specific options', collect, [])
    .action(async (name: string, opts) => exit((await n()).networkCreate(ctx(), name, opts)));
  parent.command('ls').alias('list').description('List networks')
    .option('-q, --quiet', 'Only display network IDs')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [])
    .option('--format <format>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .action(async (opts) => exit((await n()).networkList(ctx(), { ...opts, noTrunc: opts.trunc === false })));
  parent.command('inspect').description('Display detailed information on one or more networks').argument('<network...>')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (names: string[], opts) => exit((await n()).networkInspect(ctx(), names, opts)));
  parent.command('rm').alias('remove').description('Remove one or more networks').argument('<network...>')
    .action(async (names: string[]) => exit((await n()).networkRemove(ctx(), names)));
  parent.command('prune').description('Remove all unused networks')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .action(async (opts) => exit((await n()).networkPrune(ctx(), opts)));
  parent.command('connect').description('Connect a container to a network').argument('<network>').argument('<container>')
    .option('--alias <alias>', 'Add network-scoped alias for the container', collect, [])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--link-local-ip <address>', 'Add a link-local address for the container', collect, [])
    .action(async (net: string, c: string, opts) => exit((await n()).networkConnect(ctx(), net, c, opts)));
  parent.command('disconnect').description('Disconnect a container from a network').argument('<network>').argument('<container>')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(async (net: string, c: string, opts) => exit((await n()).networkDisconnect(ctx(), net, c, opts)));
}

/** The whole `berth` command tree; actions import their modules only when they run. */
export function buildProgram(ctx: Ctx, exit: Exit): Command {
  const program = new Command('berth')
    .description('A self-sufficient runtime for containers')
    .enablePositionalOptions()
    .exitOverride()
    // Before any subcommand is added, so that every command inherits it.
    .configureOutput({ outputError: (str, write) => write(flagError(str)) })
    .option('-H, --host <host>', 'Daemon socket to connect to (unix://PATH)')
    .option('-c, --context <name>', 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "berth context use")')
    .option('-D, --debug', 'Enable debug mode')
    .option('-v, --version', 'Print version information and quit');
  containerCommands(program, ctx, exit, true);
  imageCommands(program, ctx, exit, true);
  program.command('inspect').description('Return low-level information on Docker objects').argument('<name...>')
    .option('-f, --format <format>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <type>', 'Return JSON for specified type')
    .action(async (names: string[], opts) => exit((await import('./commands/inspect.js')).inspect(ctx(), names, opts)));
  program.command('version').description('Show the berth version information')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (opts) => exit((await import('./commands/system.js')).version(ctx(), opts)));
  eventsCommand(program, ctx, exit);
  infoCommand(program, ctx, exit);
  program.command('registry').description('Run an OCI distribution registry (serve, gc)').helpOption(false)
    .allowUnknownOption().passThroughOptions().argument('[args...]')
    .action(async (args: string[]) => exit((await import('./commands/registry.js')).registry(args)));
  program.command('search').description('Search Docker Hub (or the registry named in TERM) for images').argument('<term>')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <format>', 'Pretty-print search using a Go template')
    .option('--limit <limit>', 'Max number of search results')
    .option('--no-trunc', "Don't truncate output")
    .action(async (term: string, opts) => exit((await import('./commands/search.js')).search(ctx(), term, opts)));
  buildCommand(program.command('build').description('Build an image from a Dockerfile'), ctx, exit);
  const builder = program.command('builder').description('Manage builds');
  buildCommand(builder.command('build').description('Build an image from a Dockerfile'), ctx, exit);
  builder.command('prune').description('Remove build cache')
    .option('-a, --all', 'Remove all unused build cache')
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async () => exit((await import('./commands/build.js')).builderPrune(ctx())));
  program.command('login').description('Authenticate to a registry').argument('[server]')
    .option('-u, --username <username>', 'Username')
    .option('-p, --password <password>', 'Password')
    .option('--password-stdin', 'Take the password from stdin')
    .action(async (server: string | undefined, opts) => exit((await import('./commands/login.js')).login(ctx(), server, opts)));
  program.command('logout').description('Log out from a registry').argument('[server]')
    .action(async (server: string | undefined) => exit((await import('./commands/login.js')).logout(ctx(), server)));
  const container = program.command('container').description('Manage containers');
  containerCommands(container, ctx, exit, false);
  const image = program.command('image').description('Manage images');
  imageCommands(image, ctx, exit, false);
  volumeCommands(program.command('volume').description('Manage volumes'), ctx, exit);
  networkCommands(program.command('network').description('Manage networks'), ctx, exit);
  program.command('port').description('List port mappings or a specific mapping for the container').argument('<container>').argument('[port]')
    .action(async (c: string, p: string | undefined) => exit((await import('./commands/network.js')).port(ctx(), c, p)));
  contextCommands(program.command('context').description('Manage contexts'), ctx, exit);
  manifestCommands(program.command('manifest').description('Manage image manifests and manifest lists'), ctx, exit);
  checkpointCommands(program.command('checkpoint').description('Manage checkpoints'), ctx, exit);
  const system = program.command('system').description('Manage berth');
  // docker's `system info` and `system events` are the same commands as `info` and `events`.
  infoCommand(system, ctx, exit);
  eventsCommand(system, ctx, exit);
  system.command('prune').description('Remove unused data')
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [])
    .action(async (opts) => exit((await import('./commands/system-prune.js')).systemPrune(ctx(), opts)));
  system.command('df').description('Show berth disk usage')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .option('--format <format>', 'Format output using a custom template')
    .action(async (opts) => exit((await import('./commands/system-df.js')).systemDf(ctx(), opts)));
  system.command('check').description("Check the data root against berthd's records")
    .option('--repair', 'Remove what no record names (orphaned blobs, layers, folders, mounts, network namespaces)')
    .action(async (opts: { repair?: boolean }) => exit((await import('./commands/system-check.js')).systemCheck(ctx(), opts)));
  return program;
}

/** cp, diff, commit, export: the same under `berth X` and `berth container X`. */
function fsCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  parent.command('cp').description("Copy files/folders between a container and the local filesystem").argument('<src>').argument('<dest>')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy')
    .action(async (src: string, dst: string, opts) => exit((await import('./commands/cp.js')).cp(ctx(), src, dst, opts)));
  parent.command('diff').description("Inspect changes to files or directories on a container's filesystem").argument('<container>')
    .action(async (id: string) => exit((await import('./commands/diff.js')).diff(ctx(), id)));
  parent.command('commit').description("Create a new image from a container's changes").argument('<container>').argument('[repository]')
    .option('-a, --author <author>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <message>', 'Commit message')
    .option('-p, --pause [bool]', 'Pause container during commit (default true)')
    .option('--no-pause', 'Do not pause the container during commit')
    .action(async (id: string, ref: string | undefined, opts) => exit((await import('./commands/commit.js')).commit(ctx(), id, ref, opts)));
  parent.command('export').description("Export a container's filesystem as a tar archive").argument('<container>')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (id: string, opts) => exit((await import('./commands/export.js')).exportContainer(ctx(), id, opts)));
}
