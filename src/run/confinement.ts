import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killTagged, killUntilGone, RUN_TAG } from './process-tags.js';

/**
 * What holds a run's processes, so that all of them can be ended: a cgroup
 * where the machine lets lwt-regress make one — a child cannot leave it
 * without privilege, whatever it does to its environment, session or parent
 * (cgroups(7): a forked process starts in its parent's cgroup) —, else the
 * environment tag of process-tags.ts, which a child that clears its
 * environment (`env -i`, `su -l`) escapes. LWT_REGRESS_CONFINEMENT=tags
 * asks for the tags alone (a machine whose cgroups another tool manages).
 */
export interface Confinement {
  /** The variables that make the limits script join the cgroup (none with tags alone). */
  env: Record<string, string>;
  /** Ends every process of the run (SIGKILL), synchronously, and says how many there were. */
  end(): number;
  /** Ends what is left and removes the cgroup. */
  close(): void;
}

/** The variable that names the cgroup.procs file the limits script writes its pid into before it execs the program. */
export const CGROUP_VARIABLE = 'LWT_REGRESS_CGROUP';

interface CgroupBase {
  dir: string;
  kind: 'cgroup v2' | 'cgroup v1 pids';
}

let base: CgroupBase | undefined | null = null;

/**
 * Where lwt-regress may make cgroups: the directory of its own cgroup in the
 * cgroup2 hierarchy, else in the v1 `pids` one (/proc/self/cgroup names it,
 * /proc/self/mountinfo says where each hierarchy is mounted: proc(5)), when it
 * can make a directory there and write its cgroup.procs. Decided once.
 */
export function cgroupBase(): CgroupBase | undefined {
  if (base !== null) return base;
  base = undefined;
  if (process.env.LWT_REGRESS_CONFINEMENT === 'tags') return base;
  const own = readLines('/proc/self/cgroup').map((l) => l.split(':'));
  const mounts = readLines('/proc/self/mountinfo').map((l) => l.split(' '));
  const mountOf = (fstype: string, option?: string) =>
    mounts.find((m) => {
      const dash = m.indexOf('-');
      return m[dash + 1] === fstype && (!option || (m[dash + 3] ?? '').split(',').includes(option));
    })?.[4];
  const candidates: CgroupBase[] = [];
  const v2 = own.find((c) => c[0] === '0' && c[1] === '');
  const v2Mount = mountOf('cgroup2');
  if (v2 && v2Mount) candidates.push({ dir: join(v2Mount, v2[2] ?? '/'), kind: 'cgroup v2' });
  const pids = own.find((c) => c[1]?.split(',').includes('pids'));
  const pidsMount = mountOf('cgroup', 'pids');
  if (pids && pidsMount) candidates.push({ dir: join(pidsMount, pids[2] ?? '/'), kind: 'cgroup v1 pids' });
  base = candidates.find(usable);
  return base;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function usable(candidate: CgroupBase): boolean {
  const trial = join(candidate.dir, `lwt-regress-trial-${process.pid}`);
  try {
    mkdirSync(trial);
    accessSync(join(trial, 'cgroup.procs'), constants.W_OK);
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(trial);
    } catch {
      // Never made.
    }
  }
}

/** For a run's header: what holds a run's processes on this machine. */
export function confinementDescription(): string {
  const where = cgroupBase();
  return where
    ? `a ${where.kind} of their own (under ${where.dir})`
    : 'an environment tag (no cgroup can be made here; LWT_REGRESS_CONFINEMENT=tags asks for that)';
}

/** The pids in a cgroup: its cgroup.procs, empty once the cgroup is gone. */
function members(dir: string): number[] {
  return readLines(join(dir, 'cgroup.procs')).map(Number);
}

/** A confinement for one run, tagged `tag`: its own cgroup where the machine allows one, and the tag always. */
export function confine(tag: string): Confinement {
  const where = cgroupBase();
  const dir = where ? join(where.dir, `lwt-regress-${tag}`) : undefined;
  let made = false;
  if (dir) {
    try {
      mkdirSync(dir);
      made = true;
    } catch {
      // Taken away since it was tried: the tags alone.
    }
  }
  const end = () => {
    const tagged = killTagged(RUN_TAG, tag);
    if (!made || !dir) return tagged;
    // cgroup v2's cgroup.kill ends them all at once (Linux 5.14); then, and elsewhere, each member in turn.
    const counted = members(dir).length;
    if (counted > 0 && existsSync(join(dir, 'cgroup.kill'))) writeFileSync(join(dir, 'cgroup.kill'), '1');
    return Math.max(
      tagged,
      counted,
      killUntilGone(() => members(dir)),
    );
  };
  return {
    env: made && dir ? { [CGROUP_VARIABLE]: join(dir, 'cgroup.procs') } : {},
    end,
    close: () => {
      end();
      if (!made || !dir) return;
      try {
        rmdirSync(dir);
      } catch {
        // A process still dying: the kernel frees an empty cgroup's directory only once it is empty.
      }
    },
  };
}
