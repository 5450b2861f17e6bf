import type { Command } from 'commander';
import type { Ctx, Exit } from './program.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Commands about the daemon and its surroundings: context, info, events, manifest. */
export function contextCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  const cx = (): Promise<typeof import('./commands/context.js')> => import('./commands/context.js');
  parent.command('create').description('Create a context').argument('<context>')
    .option('--description <description>', 'Description of the context')
    .option('--docker <stringToString>', 'set the docker endpoint', collect, [])
    .option('--from <context>', 'create context from a named context')
    .action(async (name: string, opts) => exit((await cx()).contextCreate(ctx(), name, opts)));
  parent.command('ls').alias('list').description('List contexts')
    .option('--format <format>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only show context names')
    .action(async (opts) => exit((await cx()).contextList(ctx(), opts)));
  parent.command('use').description('Set the current docker context').argument('<context>')
    .action(async (name: string) => exit((await cx()).contextUse(ctx(), name)));
  parent.command('inspect').description('Display detailed information on one or more contexts').argument('[context...]')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (names: string[], opts) => exit((await cx()).contextInspect(ctx(), names, opts)));
  parent.command('rm').alias('remove').description('Remove one or more contexts').argument('<context...>')
    .option('-f, --force', 'Force the removal of a context in use')
    .action(async (names: string[], opts) => exit((await cx()).contextRemove(ctx(), names, opts)));
  parent.command('show').description('Print the name of the current context')
    .action(async () => exit((await cx()).contextShow(ctx())));
}

export function infoCommand(parent: Command, ctx: Ctx, exit: Exit): void {
  parent.command('info').description('Display system-wide information')
    .option('-f, --format <format>', 'Format output using a custom template')
    .action(async (opts) => exit((await import('./commands/system.js')).info(ctx(), opts)));
}

export function eventsCommand(parent: Command, ctx: Ctx, exit: Exit): void {
  parent.command('events').description('Get real time events from the server')
    .option('--since <time>', 'Show all events created since timestamp')
    .option('--until <time>', 'Stream events until this timestamp')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <format>', 'Format the output using the given Go template')
    .action(async (opts) => exit((await import('./commands/events.js')).events(ctx(), opts)));
}

export function manifestCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  parent.command('inspect').description('Display an image manifest, or manifest list').argument('<manifest...>')
    .option('--insecure', 'Allow communication with an insecure registry')
    .option('-v, --verbose', 'Output additional info including layers and platform')
    .action(async (args: string[], opts) => exit((await import('./commands/manifest.js')).manifestInspect(ctx(), args, opts)));
  const list = async (): Promise<typeof import('./commands/manifest-list.js')> => import('./commands/manifest-list.js');
  parent.command('create').description('Create a local manifest list for annotating and pushing to a registry').argument('<list>').argument('<manifest...>')
    .option('-a, --amend', 'Amend an existing manifest list')
    .option('--insecure', 'Allow communication with an insecure registry')
    .action(async (l: string, ms: string[], opts) => exit((await list()).manifestCreate(ctx(), [l, ...ms], opts)));
  parent.command('annotate').description('Add additional information to a local image manifest').argument('<list>').argument('<manifest>')
    .option('--arch <string>', 'Set architecture')
    .option('--os <string>', 'Set operating system')
    .option('--os-features <strings>', 'Set operating system feature', (v: string, prev: string[] = []) => [...prev, v])
    .option('--os-version <string>', 'Set operating system version')
    .option('--variant <string>', 'Set architecture variant')
    .action(async (l: string, m: string, opts) => exit((await list()).manifestAnnotate(ctx(), [l, m], opts)));
  parent.command('push').description('Push a manifest list to a repository').argument('<list>')
    .option('--insecure', 'Allow push to an insecure registry')
    .option('-p, --purge', 'Remove the local manifest list after push')
    .action(async (l: string, opts) => exit((await list()).manifestPush(ctx(), [l], opts)));
  parent.command('rm').description('Delete one or more manifest lists from local storage').argument('<list...>')
    .action(async (ls: string[]) => exit((await list()).manifestRm(ctx(), ls)));
}

/** checkpoint create/ls/rm (CRIU; berthd must run with experimental features). */
export function checkpointCommands(parent: Command, ctx: Ctx, exit: Exit): void {
  const cp = (): Promise<typeof import('./commands/checkpoint.js')> => import('./commands/checkpoint.js');
  parent.command('create').description('Create a checkpoint from a running container').argument('<container>').argument('<checkpoint>')
    .option('--checkpoint-dir <dir>', 'Use a custom checkpoint storage directory')
    .option('--leave-running', 'Leave the container running after checkpoint')
    .action(async (c: string, n: string, opts) => exit((await cp()).checkpointCreate(ctx(), c, n, opts)));
  parent.command('ls').alias('list').description('List checkpoints for a container').argument('<container>')
    .option('--checkpoint-dir <dir>', 'Use a custom checkpoint storage directory')
    .action(async (c: string, opts) => exit((await cp()).checkpointList(ctx(), c, opts)));
  parent.command('rm').alias('remove').description('Remove a checkpoint').argument('<container>').argument('<checkpoint>')
    .option('--checkpoint-dir <dir>', 'Use a custom checkpoint storage directory')
    .action(async (c: string, n: string, opts) => exit((await cp()).checkpointRemove(ctx(), c, n, opts)));
}
