/**
 * CPU time of the whole machine and of its Postgres processes, read from Linux's /proc, so that a
 * benchmark can say what each answer cost every process involved and not only its own: on a
 * machine of few cores the API, the load generator and Postgres share them, and a request's cost
 * to Postgres slows the others as much as its cost to the API does.
 *
 * Elsewhere than Linux (no /proc) every reading is null and callers print nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU figures (USER_HZ, 100 on every Linux architecture in use). */
const TICKS_PER_SECOND = 100;

/** CPU time in µs: of the whole machine (busy, all cores), and of the processes named `postgres`. */
export interface CpuReading {
  machineMicros: number;
  postgresMicros: number;
}

const ticksToMicros = (ticks: number) => (ticks * 1_000_000) / TICKS_PER_SECOND;

/** Busy time of all cores: every column of /proc/stat's `cpu` line but idle and iowait. */
function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const columns = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  return columns.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
}

/**
 * CPU time of every live process named `postgres` (the postmaster, its backends, checkpointer, WAL
 * writer…) with that of their exited children: a backend whose pool closed it, or a parallel worker,
 * leaves its time in the postmaster's cutime and cstime when it exits.
 */
function postgresTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks;
}

/** The machine's and Postgres's CPU time so far; null where /proc is not there. */
export function readCpu(): CpuReading | null {
  try {
    return {
      machineMicros: ticksToMicros(machineBusyTicks()),
      postgresMicros: ticksToMicros(postgresTicks()),
    };
  } catch {
    return null;
  }
}

/** CPU time spent between two readings. */
export function cpuSince(start: CpuReading | null, end: CpuReading | null): CpuReading | null {
  if (start === null || end === null) return null;
  return {
    machineMicros: end.machineMicros - start.machineMicros,
    postgresMicros: end.postgresMicros - start.postgresMicros,
  };
}
