import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The built CLI (npm test builds it first), run as a user would. */
export const CLI = fileURLToPath(new URL('../../dist/harness/cli.js', import.meta.url));

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Replace the environment instead of extending it (to hide tools from PATH). */
  extendEnv?: boolean;
  /** Kill it after this many milliseconds: a hang fails the test instead of stalling the run. */
  timeout?: number;
}

/** Runs the built CLI (npm test builds it first) as a user would. */
export async function runCli(args: string[], options: CliOptions = {}) {
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, ...options });
  return { exitCode: r.exitCode, stdout: r.stdout as string, stderr: r.stderr as string };
}
