import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EXIT, UserError } from '../src/errors.js';

/** Where a usage error sends the user: the help of the command being run. */
let help = 'lwt-regress --help';

export function setCommand(command: string): void {
  help = `lwt-regress ${command} --help`;
}

/** For a wrapper with a help of its own (npm test). */
export function setHelp(command: string): void {
  help = command;
}

export function usageError(message: string): UserError {
  return new UserError(message, EXIT.usage, `Run \`${help}\` for usage`);
}

/** util.parseArgs with its errors turned into one-line usage errors. */
export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw usageError(
      (error as Error).message
        .split('\n')[0]!
        .replace(/\. To specify a positional.*$/, '')
        .replace(/\.$/, ''),
    );
  }
}

export function positiveInteger(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw usageError(`${flag} must be a positive integer, not '${value}'`);
  return Number(value);
}
