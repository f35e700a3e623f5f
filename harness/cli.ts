#!/usr/bin/env node
import { EXIT, pathError, UserError } from '../src/errors.js';
import { setCommand, usageError } from './args.js';

type Command = (args: string[]) => number | Promise<number>;

// Loaded on demand: `analyze` must start fast, and the build and run commands pull in execa.
const COMMANDS: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./commands/analyze.js')).analyzeCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  bisect: async () => (await import('./commands/bisect.js')).bisectCommand,
  'bisect-probe': async () => (await import('./commands/bisect.js')).bisectProbeCommand,
  gate: async () => (await import('./commands/gate.js')).gateCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  env: async () => (await import('./commands/env.js')).envCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
};

/** `--help` or `-h` among a command's options (not among a program's arguments after `--`). */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { projectRoot } = await import('../src/paths.js');
  return (JSON.parse(await readFile(`${projectRoot()}/package.json`, 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`lwt-regress ${await version()}\n`);
    return EXIT.ok;
  }
  // The help texts import the option lists of run and gate: loaded only when asked for, so `analyze` never loads them.
  if (command === undefined || command === '--help' || command === '-h' || (command === 'help' && !rest[0])) {
    const { overview } = await import('./help.js');
    process.stdout.write(`${overview(await version())}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const topic = command === 'help' ? rest[0]! : asksForHelp(rest) ? command : undefined;
  if (topic !== undefined) {
    const help = (await import('./help.js')).COMMAND_HELP[topic];
    if (help) {
      process.stdout.write(`${help.usage}\n`);
      return EXIT.ok;
    }
    if (topic === 'bisect-probe') {
      process.stdout.write(
        'lwt-regress bisect-probe: the probe `bisect --commits` gives `git bisect run`; not for use by hand\n',
      );
      return EXIT.ok;
    }
  }
  // Commands that start processes end them all on an interrupt; `analyze` starts none and must start fast.
  if (command !== 'analyze') {
    (await import('../src/run/interrupt.js')).installInterruptHandlers();
    (await import('../src/progress.js')).onProgress((line) => process.stderr.write(`lwt-regress: ${line}\n`));
  }
  try {
    const load = COMMANDS[topic ?? command];
    if (!load) throw usageError(`unknown command '${topic ?? command}'`);
    setCommand(command);
    return await (await load())(rest);
  } catch (error) {
    // A full disk or a read-only place met anywhere (a cache write, a report) is one line, not a stack trace.
    const known = error instanceof UserError ? error : pathError(error);
    if (known) {
      process.stderr.write(`lwt-regress: ${known.describe()}\n`);
      return known.exitCode;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
