import { resolve } from 'node:path';
import type { SuiteRequest } from '../../src/probe/suite.js';

/** What plain `npm test` probes: every case against the installed Lwt, under a 1 MiB stack. */
export function defaultSelection(): SuiteRequest {
  return {
    toolchain: {},
    lwt: [{ spec: 'installed' }],
    settings: { stackKiB: 1024, capture: 'auto', timeoutMs: 60_000, artifactsDir: resolve('artifacts') },
  };
}
