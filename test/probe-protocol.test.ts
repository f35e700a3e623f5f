/**
 * The commit bisect's probe protocol: what the driver writes, the probe
 * reads; whatever goes wrong in a probe, git bisect run gets 0, 1 or 125.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendProbeLog,
  type CommitProbeRequest,
  PROBE_EXIT,
  probeArguments,
  readProbeLog,
  readProbeRequest,
  writeProbeRequest,
} from '../src/bisect/probe-protocol.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-protocol-' });
});
afterAll(() => tmp.cleanup());

describe('the bisect probe protocol', () => {
  it('a request reads back as it was written, and the log keeps complete lines only', async () => {
    const request: CommitProbeRequest = {
      caseName: 'mutex-unlock-storm',
      tree: '/tmp/tree',
      log: at('probes.jsonl'),
      findFix: true,
      toolchain: { opamSwitch: 'x' },
      settings: { stackKiB: 512, capture: 'gdb', timeoutMs: 9000, artifactsDir: '/tmp/a', policy: 'expectations' },
    };
    await writeProbeRequest(at('request.json'), request);
    expect(await readProbeRequest(at('request.json'))).toEqual(request);
    expect(probeArguments(at('request.json'))).toEqual(['bisect-probe', '--request', at('request.json')]);
    const line = {
      commit: 'a'.repeat(40),
      version: '5.6.1',
      reproduction: 'clean' as const,
      summary: 'clean',
      observed: null,
      reused: false,
      freshBuild: true,
    };
    await appendProbeLog(request.log, line);
    await writeFile(request.log, `${JSON.stringify(line)}\n{"commit": "half`, { flag: 'w' });
    expect(await readProbeLog(request.log)).toEqual([line]);
  });

  it('git bisect run reads good 0, bad 1, untestable 125', () => {
    expect(PROBE_EXIT).toEqual({ good: 0, bad: 1, untestable: 125 });
  });

  it.each([
    ['a request that is not one', '{"caseName": 3}'],
    ['a request that is not JSON', 'not json'],
  ])('%s: the probe skips the commit (125), never aborts the bisect', async (_, text) => {
    await writeFile(at('bad.json'), text);
    const r = await runCli(['bisect-probe', '--request', at('bad.json')]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/probe failed, skipping this commit/);
  });
});
