import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const cli = fileURLToPath(new URL('../../dist/harness/cli.js', import.meta.url));

/** Runs the built CLI (npm test builds it first) as a user would. */
export async function runCli(args: string[], cwd?: string) {
  const r = await execa('node', [cli, ...args], { reject: false, ...(cwd ? { cwd } : {}) });
  return { exitCode: r.exitCode, stdout: r.stdout as string, stderr: r.stderr as string };
}
