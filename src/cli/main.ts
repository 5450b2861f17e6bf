import { CommanderError } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';
import { buildProgram } from './program.js';

export const CLI_VERSION = '0.1.0';

function flushThenQuit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * docker's boolean flags take `=false` (`history --human=false`); commander's booleans do not, so
 * those spellings become the `--no-` form before parsing.
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  const i = argv.indexOf('history');
  if (i < 0) return [...argv];
  return argv.map((a, j) => {
    if (j <= i) return a;
    const m = /^(?:-H|--human)=(.*)$/.exec(a);
    if (!m) return a;
    return ['0', 'f', 'false', 'F', 'FALSE', 'False'].includes(m[1] ?? '') ? '--no-human' : '--human';
  });
}

/** The CLI's command tree, built before any argument is known: inside the startup snapshot, once. */
export interface PreparedCli {
  program: ReturnType<typeof buildProgram>;
  state: { context: CliContext | undefined; code: number };
}

export function prepareCli(): PreparedCli {
  const state: PreparedCli['state'] = { context: undefined, code: 0 };
  const ctx = (): CliContext => {
    state.context ??= new CliContext(program.opts<GlobalOptions>(), {
      stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env,
    });
    return state.context;
  };
  const exit = async (result: number | Promise<number>): Promise<void> => {
    state.code = await result;
  };
  const program = buildProgram(ctx, exit);
  return { program, state };
}

/** Entry point of bin/berth. Exits the process with docker's exit codes. */
export async function main(argv: readonly string[], prepared: PreparedCli = prepareCli()): Promise<void> {
  const { program, state } = prepared;
  try {
    if (argv.length === 0) {
      program.outputHelp();
      flushThenQuit(0);
      return;
    }
    if (argv[0] === '-v' || argv[0] === '--version') {
      process.stdout.write(`berth version ${CLI_VERSION}\n`);
      flushThenQuit(0);
      return;
    }
    await program.parseAsync(normalizeArgs(argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not failures; flag errors are docker's 125.
      state.code = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 125;
    } else {
      const { errorLine } = await import('./errors.js');
      process.stderr.write(`${errorLine(e)}\n`);
      if (state.context?.debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      state.code = 1;
    }
  }
  state.context?.close();
  flushThenQuit(state.code);
}
