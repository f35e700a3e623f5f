import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes are found by a tag in their environment rather than by parentage:
 * a case may start children that leave its process group and session
 * (`setsid cmd &`) or are re-parented to init when their parent exits, but
 * every descendant inherits the environment it was started with, and
 * /proc/<pid>/environ keeps that initial environment (proc(5)). This needs no
 * privilege (cgroups and PID namespaces do) and works on any Linux.
 */
export const RUN_TAG = 'LWT_REGRESS_RUN';

export function newTag(): string {
  return randomUUID();
}

/**
 * Every lwt-regress process tags what it starts with a variable of its own,
 * `LWT_REGRESS_SESSION_<uuid>=1`: a child inherits the variables of all its
 * ancestors, so the processes started by a nested lwt-regress (the probe
 * `git bisect run` starts) carry the outer one's tag too, and each process
 * can end exactly its own descendants whoever started it.
 */
export function tagSession(): { name: string; value: string } {
  const name = `LWT_REGRESS_SESSION_${newTag().replaceAll('-', '')}`;
  process.env[name] = '1';
  return { name, value: '1' };
}

/** The pids of the live processes whose environment holds `name=value`, this process excepted. */
export function taggedProcesses(name: string, value: string): number[] {
  const entry = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      // A zombie's environ reads empty: a process already killed is not found again.
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      // Gone already, or another user's process: not one of ours.
      continue;
    }
    const at = environ.indexOf(entry);
    if (at === 0 || (at > 0 && environ[at - 1] === 0)) found.push(pid);
  }
  return found;
}

/**
 * Ends every process carrying the tag with SIGKILL (a case that handles
 * SIGTERM must not outlive its run), and waits (up to two seconds) until
 * none is left: a process being killed may still start another, and one
 * that has not yet died would outlive the run that returns now.
 * Synchronous, so that a signal handler can call it before exiting.
 */
export function killTagged(name: string, value: string): number {
  return killUntilGone(() => taggedProcesses(name, value));
}

/**
 * Kills (SIGKILL) the processes `find` names until it names none, for up to
 * two seconds, and says how many it killed: the loop of killTagged, for any
 * way of finding a run's processes (the tag, a cgroup's members).
 */
export function killUntilGone(find: () => number[]): number {
  const killed = new Set<number>();
  const deadline = Date.now() + 2000;
  for (;;) {
    const pids = find();
    if (pids.length === 0 || Date.now() > deadline) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // Exited in between.
      }
    }
    Atomics.wait(PAUSE, 0, 0, 5);
  }
  return killed.size;
}

/**
 * Asks every process carrying the tag to stop (SIGTERM: a nested
 * lwt-regress then ends its own runs and removes its temporary directories),
 * waits up to a second, then kills what is left.
 */
export function endTagged(name: string, value: string): void {
  for (const pid of taggedProcesses(name, value)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Exited in between.
    }
  }
  const deadline = Date.now() + 1000;
  while (taggedProcesses(name, value).length > 0 && Date.now() < deadline) Atomics.wait(PAUSE, 0, 0, 10);
  killTagged(name, value);
}

/** Something to wait on for a few milliseconds without an event loop (Atomics.wait on a value that never changes). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
