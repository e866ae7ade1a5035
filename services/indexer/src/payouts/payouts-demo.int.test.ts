import { createDevnetChain, type GroundTruth, runScenario } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterTx, clusterBlockTxs } from '../cluster/cluster-merges.js';
import { findClusterLink } from '../cluster/cluster-store.js';
import { createUnionFind } from '../cluster/union-find.js';
import { applyBlock } from '../ingest/block-ingest.js';
import { syncPools } from '../ingest/pool-sync.js';

const SEED = 'minetrace';
const FINALITY_DEPTH = 6;
const PAYOUT_MAX_HOPS = 3;
const pools = loadPools();

/**
 * The demo scenario indexed block by block from its serialized blocks (the decoder and `applyBlock` are
 * the real ingest path), its recovered payouts and clusters compared with the scenario's ground truth.
 */
// Postgres only: the same ingest runs on PGlite in derived-rows.int.test.ts, on a shorter chain.
describe.each(['postgres'] as const)('the demo scenario indexed on %s', (kind) => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let tipHeight: number;
  let indexMs: number;
  const blocks: BlockRows[] = [];

  beforeAll(async () => {
    test = await createTestDatabase(kind);
    const chain = createDevnetChain();
    truth = runScenario('demo', chain, { seed: SEED });
    tipHeight = chain.tipHeight();
    await syncPools(test.db, pools);
    const started = performance.now();
    for (let height = 0; height <= tipHeight; height++) {
      const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
      blocks.push(rows);
      await applyBlock(test.db, rows, pools, {
        height,
        payoutMaxHops: PAYOUT_MAX_HOPS,
        finalityDepth: FINALITY_DEPTH,
      });
    }
    indexMs = performance.now() - started;
    console.log(`[${kind}] indexed ${tipHeight + 1} demo blocks in ${Math.round(indexMs)} ms`);
  }, 240_000);
  afterAll(async () => {
    await test?.close();
  });

  it('recovers the payouts: precision and recall of (recipient, value) are at least 0.99', async () => {
    const rows = await sql<{
      payout_txid: Buffer;
      n: number;
      source_txid: Buffer;
      address: string;
      value: bigint;
      hop: number;
      pool_id: number;
      height: number;
    }>`
      SELECT pt.txid AS payout_txid, p.n, st.txid AS source_txid, a.address, p.value, p.hop, p.pool_id, p.height
      FROM payouts p
      JOIN txs pt ON pt.id = p.payout_tx_id
      JOIN txs st ON st.id = p.source_tx_id
      JOIN addresses a ON a.id = p.address_id`.execute(test.db);
    const found = rows.rows;

    // Multisets of (recipient, value): a value paid twice to one address must be found twice.
    const expected = new Map<string, number>();
    for (const payout of truth.payouts) {
      const key = `${payout.recipient}:${payout.value}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const remaining = new Map(expected);
    let matched = 0;
    const extra: typeof found = [];
    for (const payout of found) {
      const key = `${payout.address}:${payout.value}`;
      const left = remaining.get(key) ?? 0;
      if (left > 0) {
        matched += 1;
        remaining.set(key, left - 1);
      } else {
        extra.push(payout);
      }
    }
    const owner = new Map(truth.entities.flatMap((e) => e.addresses.map((a) => [a, e.name] as const)));
    const precision = matched / found.length;
    const recall = matched / truth.payouts.length;

    // The same payouts by output, with the pool, hop and source the ground truth gives them.
    const byOutput = new Map(found.map((p) => [`${p.payout_txid.toString('hex')}:${p.n}`, p]));
    let sameOutput = 0;
    let sameDetail = 0;
    for (const payout of truth.payouts) {
      const row = byOutput.get(`${payout.payoutTxid}:${payout.vout}`);
      if (row === undefined) continue;
      sameOutput += 1;
      if (
        pools.byId.get(row.pool_id)?.slug === payout.pool &&
        row.hop === payout.hop &&
        row.source_txid.toString('hex') === payout.sourceTxid &&
        row.height === payout.height &&
        row.address === payout.recipient &&
        row.value === BigInt(payout.value)
      ) {
        sameDetail += 1;
      }
    }
    console.log(
      `[${kind}] payouts: ground truth ${truth.payouts.length}, found ${found.length}, matched ${matched}; ` +
        `precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)}; ` +
        `same output ${sameOutput}, of which pool/hop/source/height agree ${sameDetail}`,
    );
    for (const payout of extra) {
      console.log(
        `[${kind}] not a ground-truth payout: ${pools.byId.get(payout.pool_id)?.slug} hop ${payout.hop} ` +
          `at ${payout.height} to ${owner.get(payout.address) ?? 'unknown'} (${payout.value} sats)`,
      );
    }
    expect(truth.payouts.length).toBeGreaterThan(1000);
    expect(precision).toBeGreaterThanOrEqual(0.99);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(sameDetail).toBe(sameOutput);
  });

  it('clusters final blocks only, and no cluster mixes two entities (precision 1.0); prints recall', async () => {
    const state = await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow();
    expect(state).toMatchObject({ clustered_height: tipHeight - FINALITY_DEPTH, stale: false });

    const entityOf = new Map<string, string>();
    for (const entity of truth.entities)
      for (const address of entity.addresses) entityOf.set(address, entity.name);
    const addresses = await test.db
      .selectFrom('addresses as a')
      .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
      .select(['a.id', 'a.address', 'ac.cluster_id'])
      .execute();
    const clusterOf = new Map(addresses.map((a) => [a.address, a.cluster_id ?? a.id]));

    const entitiesByCluster = new Map<bigint, Set<string>>();
    const membersByCluster = new Map<bigint, number>();
    for (const address of addresses) {
      const cluster = address.cluster_id ?? address.id;
      membersByCluster.set(cluster, (membersByCluster.get(cluster) ?? 0) + 1);
      const entity = entityOf.get(address.address);
      if (entity === undefined) continue;
      const set = entitiesByCluster.get(cluster) ?? new Set<string>();
      set.add(entity);
      entitiesByCluster.set(cluster, set);
    }
    const mixed = [...entitiesByCluster].filter(([, entities]) => entities.size > 1);
    const multi = [...membersByCluster].filter(([, size]) => size > 1);

    // Stored sizes are exact: every cluster row counts its members, and every shared cluster_id has a row.
    const clusters = await test.db.selectFrom('clusters').select(['id', 'size']).execute();
    expect(new Map(clusters.map((c) => [c.id, c.size]))).toEqual(new Map(multi));

    // Pairwise recall: of the pairs of addresses one entity owns, the share clustered together; over all
    // addresses on chain, and over those that spent in a final block (the only ones inputs can link).
    const spent = await sql<{ address: string }>`
      SELECT DISTINCT a.address FROM outputs o JOIN txs t ON t.id = o.spent_by_tx_id
      JOIN addresses a ON a.id = o.address_id WHERE t.height <= ${tipHeight - FINALITY_DEPTH}::int4`.execute(
      test.db,
    );
    const spentSet = new Set(spent.rows.map((row) => row.address));
    const pairwiseRecall = (include: (address: string) => boolean) => {
      let pairs = 0;
      let together = 0;
      for (const entity of truth.entities) {
        const members = entity.addresses.filter((address) => clusterOf.has(address) && include(address));
        const perCluster = new Map<bigint, number>();
        for (const address of members) {
          const cluster = clusterOf.get(address)!;
          perCluster.set(cluster, (perCluster.get(cluster) ?? 0) + 1);
        }
        pairs += (members.length * (members.length - 1)) / 2;
        for (const count of perCluster.values()) together += (count * (count - 1)) / 2;
      }
      return `${(together / pairs).toFixed(4)} (${together} of ${pairs} same-entity pairs)`;
    };
    const merges = await sql<{ n: bigint }>`SELECT count(*) AS n FROM cluster_merges`.execute(test.db);
    console.log(
      `[${kind}] clusters: ${multi.length} multi-address clusters, ${merges.rows[0]!.n} merges, ` +
        `${mixed.length} mixing entities (precision ${mixed.length === 0 ? '1.0' : '< 1'}); ` +
        `pairwise recall ${pairwiseRecall(() => true)} on chain, ` +
        `${pairwiseRecall((address) => spentSet.has(address))} among addresses that spent`,
    );
    expect(mixed).toEqual([]);
    expect(multi.length).toBeGreaterThan(0);
  });

  it('stores the partition an in-memory union-find computes from the decoded final blocks', async () => {
    // Prevouts resolved from the decoded blocks themselves, not from the database.
    const outputsByOutpoint = new Map<string, BlockRows['txs'][number]['outputs'][number]>();
    const unionFind = createUnionFind<string, string>();
    for (const block of blocks.slice(0, tipHeight - FINALITY_DEPTH + 1)) {
      const txs: ClusterTx<string, string>[] = [];
      for (const tx of block.txs) {
        const txid = tx.txid.toString('hex');
        const inputs = tx.isCoinbase
          ? []
          : tx.inputs.map((input) => {
              const prevout = outputsByOutpoint.get(`${input.prevTxid.toString('hex')}:${input.prevVout}`)!;
              return { key: prevout.address, ...prevout };
            });
        txs.push({ txid, isCoinbase: tx.isCoinbase, inputs, outputs: tx.outputs });
        for (const output of tx.outputs) outputsByOutpoint.set(`${txid}:${output.n}`, output);
      }
      clusterBlockTxs(unionFind, txs);
    }
    const addresses = await test.db
      .selectFrom('addresses as a')
      .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
      .select(['a.id', 'a.address', 'ac.cluster_id'])
      .execute();
    const partition = (groupOf: (row: (typeof addresses)[number]) => string) => {
      const groups = new Map<string, string[]>();
      for (const row of addresses) {
        const group = groupOf(row);
        groups.set(group, [...(groups.get(group) ?? []), row.address]);
      }
      return [...groups.values()]
        .filter((members) => members.length > 1)
        .map((members) => members.sort().join(' '))
        .sort();
    };
    const stored = partition((row) => String(row.cluster_id ?? row.id));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).toEqual(partition((row) => unionFind.find(row.address)));
  });

  it('names the transaction that linked the suspect consolidation inputs, and skips the CoinJoin', async () => {
    const flow = truth.suspectFlow!;
    const consolidation = await test.db
      .selectFrom('txs')
      .select(['id', 'height'])
      .where('txid', '=', Buffer.from(flow.consolidationTxid, 'hex'))
      .executeTakeFirstOrThrow();
    // The suspect's consolidation spends several of its payout addresses: each was joined by a merge
    // whose transaction is the consolidation (the addresses were not linked before).
    const inputs = await sql<{ address_id: bigint }>`
      SELECT DISTINCT o.address_id FROM outputs o WHERE o.spent_by_tx_id = ${consolidation.id}::int8
      ORDER BY o.address_id`.execute(test.db);
    expect(inputs.rows.length).toBeGreaterThanOrEqual(2);
    const [first, ...rest] = inputs.rows.map((r) => r.address_id);
    for (const other of rest) {
      const link = await findClusterLink(test.db, first!, other);
      expect(link?.txid.toString('hex')).toBe(flow.consolidationTxid);
      expect(link?.height).toBe(consolidation.height);
    }
    // The CoinJoin's inputs (several owners) are not merged by it.
    const coinjoin = await test.db
      .selectFrom('txs')
      .select('id')
      .where('txid', '=', Buffer.from(flow.coinjoinTxid, 'hex'))
      .executeTakeFirstOrThrow();
    const byCoinJoin = await test.db
      .selectFrom('cluster_merges')
      .select('id')
      .where('tx_id', '=', coinjoin.id)
      .execute();
    expect(byCoinJoin).toEqual([]);
  });
});
