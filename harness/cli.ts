#!/usr/bin/env node
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { analyzeCore } from '../src/analyze/analyze-core.js';
import { EXIT, UserError } from '../src/errors.js';
import { FileReader } from '../src/io/file-reader.js';
import { formatAnalysis } from '../src/report/analysis-text.js';

const USAGE = `usage: lwt-regress <command> [options]

commands:
  analyze <executable> <core> [--json] [--mode exact|scan] [--max-frames N]
      Find the recurring call cycle in the core of a crashed OCaml program.

exit codes: 0 done, 1 failed verdict, 2 usage, 3 unreadable file, 4 not an x86-64 ELF file,
            5 truncated or corrupt file, 6 core not from this executable, 7 no stack in the core,
            8 missing tool`;

function usage(message: string): UserError {
  return new UserError(message, EXIT.usage, 'Run `lwt-regress --help` for usage');
}

function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw usage((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
  }
}

export function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) throw usage(`${flag} must be a positive integer, not '${value}'`);
  return Number(value);
}

function analyzeCommand(args: string[]): number {
  const { values, positionals } = parse({
    args,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean' }, mode: { type: 'string' }, 'max-frames': { type: 'string' } },
  });
  if (positionals.length !== 2) throw usage(`analyze takes an executable and a core, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  const mode = values.mode;
  if (mode !== undefined && mode !== 'exact' && mode !== 'scan') throw usage(`--mode must be exact or scan, not '${mode}'`);
  const maxFrames = positiveInteger('--max-frames', values['max-frames']);
  const exe = FileReader.open(positionals[0]!, 'executable');
  const core = FileReader.open(positionals[1]!, 'core');
  try {
    const { report } = analyzeCore(exe, core, { mode: mode as 'exact' | 'scan' | undefined, maxFrames });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatAnalysis(report)}\n`);
    return EXIT.ok;
  } finally {
    exe.close();
    core.close();
  }
}

const COMMANDS: Record<string, (args: string[]) => number | Promise<number>> = {
  analyze: analyzeCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw usage(`unknown command '${command}'`);
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
