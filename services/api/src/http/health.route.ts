import { hashToHex } from '@minetrace/shared';
import { type ChainState, type Db, getChainState } from '@minetrace/shared/db';
import type { Redis } from 'ioredis';

/**
 * The node as the follower last saw it: its height (null while not yet seen) and, when a follower
 * runs in this process, its state (`ok`, `node-down`, …). Null when no node is known to this process.
 */
export interface NodeStatus {
  height: number | null;
  state?: string;
}
export type NodeStatusProvider = () => Promise<NodeStatus | null> | NodeStatus | null;

/**
 * Body of `GET /health`. `lag` is node height minus indexed height, null when either is unknown.
 * `status` is `down` when the database cannot be read; `redis` is `absent` when none is configured.
 */
export interface HealthReport {
  status: 'ok' | 'syncing' | 'empty' | 'down';
  network: string | null;
  indexed: { height: number; hash: string } | null;
  node: NodeStatus | null;
  lag: number | null;
  database: 'ok' | 'down';
  redis: 'ok' | 'down' | 'absent';
}

/** Blocks behind the node that still count as `ok` (a block may arrive between two polls). */
const OK_LAG = 1;
/** A health check must answer even when a dependency hangs. */
const PROBE_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS).unref()),
  ]);
}

export async function buildHealthReport(
  db: Db,
  nodeStatus?: NodeStatusProvider,
  redis?: Redis,
): Promise<HealthReport> {
  let state: ChainState | undefined;
  let database: HealthReport['database'] = 'ok';
  try {
    state = await withTimeout(getChainState(db));
  } catch {
    database = 'down';
  }
  const redisStatus: HealthReport['redis'] =
    redis === undefined
      ? 'absent'
      : await withTimeout(redis.ping()).then(
          () => 'ok' as const,
          () => 'down' as const,
        );
  const indexed =
    state?.tip_height !== null && state?.tip_height !== undefined && state.tip_hash !== null
      ? { height: state.tip_height, hash: hashToHex(state.tip_hash) }
      : null;
  const node = (await Promise.resolve(nodeStatus?.()).catch(() => null)) ?? null;
  const lag =
    node?.height !== null && node?.height !== undefined && indexed !== null
      ? Math.max(0, node.height - indexed.height)
      : null;
  const status =
    database === 'down'
      ? 'down'
      : indexed === null
        ? 'empty'
        : lag !== null && lag > OK_LAG
          ? 'syncing'
          : 'ok';
  return { status, network: state?.network ?? null, indexed, node, lag, database, redis: redisStatus };
}
