import { hashToHex } from '@minetrace/shared';
import { type Db, getChainState } from '@minetrace/shared/db';

/** The node's view as the follower last saw it; null when no node is known to this process. */
export type NodeStatusProvider = () => Promise<{ height: number } | null> | { height: number } | null;

/** Body of `GET /health`. `lag` is node height minus indexed height, null when either is unknown. */
export interface HealthReport {
  status: 'ok' | 'syncing' | 'empty';
  network: string | null;
  indexed: { height: number; hash: string } | null;
  node: { height: number } | null;
  lag: number | null;
}

/** Blocks behind the node that still count as `ok` (a block may arrive between two polls). */
const OK_LAG = 1;

export async function buildHealthReport(db: Db, nodeStatus?: NodeStatusProvider): Promise<HealthReport> {
  const state = await getChainState(db);
  const indexed =
    state?.tip_height !== null && state?.tip_height !== undefined && state.tip_hash !== null
      ? { height: state.tip_height, hash: hashToHex(state.tip_hash) }
      : null;
  const node = (await nodeStatus?.()) ?? null;
  const lag = node !== null && indexed !== null ? Math.max(0, node.height - indexed.height) : null;
  const status = indexed === null ? 'empty' : lag !== null && lag > OK_LAG ? 'syncing' : 'ok';
  return { status, network: state?.network ?? null, indexed, node, lag };
}
