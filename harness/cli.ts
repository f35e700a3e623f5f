#!/usr/bin/env node
import { EXIT, UserError } from '../src/errors.js';
import { usageError } from './args.js';
import { ANALYZE_USAGE, analyzeCommand } from './commands/analyze.js';
import { DEMO_USAGE, demoCommand } from './commands/demo.js';

const USAGE = `usage: lwt-regress <command> [options]

commands:
${ANALYZE_USAGE}
${DEMO_USAGE}

exit codes: 0 done, 1 failed verdict, 2 usage, 3 unreadable file, 4 not an x86-64 ELF file,
            5 truncated or corrupt file, 6 core not from this executable, 7 no stack in the core,
            8 missing or unusable tool (ocamlfind, gdb, opam, git)`;

const COMMANDS: Record<string, (args: string[]) => number | Promise<number>> = {
  analyze: analyzeCommand,
  demo: demoCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    const run = COMMANDS[command];
    if (!run) throw usageError(`unknown command '${command}'`);
    return await run(rest);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`lwt-regress: ${error.describe()}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
