import type { FlowGraph, TraceEdge, TraceNode, TraceTag } from '../investigate/trace.types.js';

/**
 * A forward haircut trace worked out by hand, with tag text chosen to break naive escaping.
 *
 *   A1 (source, 100 000 tainted) ─▶ T1 ─▶ B1 60 000 (exchange: stopped)
 *                                      └▶ B2 39 000 ─▶ T2 ◀─ C1 61 000 clean
 *   T1 fee 1 000.  T2 in 100 000, 39 % tainted:
 *     T2 ─n0▶ D1 30 000 (tainted 11 700), ─n2▶ D1 20 000 (7 800), ─n1▶ D2 48 000 (18 720, cut off by hops)
 *     T2 fee 2 000 (780 tainted); 11 700 + 7 800 + 18 720 + 780 = 39 000.
 *   Clusters: A1 10, B1 B2 D2 20, C1 30, D1 40.
 *   reached 60 000 + unspent 19 500 + fees 1 780 + cut off 18 720 = source 100 000.
 */
export const TXID_1 = '1'.repeat(8) + 'ab'.repeat(24) + '2'.repeat(8);
export const TXID_2 = 'f'.repeat(64);

export const ADDRESS = {
  a1: 'bc1qsource0000000000000000000000000000a1',
  b1: '1ExchangeHotWa11etB1xxxxxxxxxxxxxx',
  b2: '3ChangeB2xxxxxxxxxxxxxxxxxxxxxxxxx',
  c1: 'bc1qclean00000000000000000000000000000c1',
  d1: 'bc1qunspent000000000000000000000000000d1',
  d2: 'bc1qcutoff0000000000000000000000000000d2',
} as const;

export const NASTY_TAGS: Record<'a1' | 'b1' | 'd1', TraceTag[]> = {
  a1: [{ label: 'Bob "the" <Miner> & Co', category: 'mining', source: 'manual', confidence: 0.9 }],
  b1: [
    {
      label: 'Exchange\nHot wallet — 交易所 🚀',
      category: 'exchange',
      source: 'walletexplorer',
      confidence: 1,
    },
    {
      label: "AT&amp;T 'quoted' \r\n tab\tend ]]>",
      category: 'exchange',
      source: 'import: a,b;c',
      confidence: 0.5,
    },
  ],
  d1: [
    { label: 'back\\slash\\', category: 'unspent "x" & <y>', source: 'manual', confidence: 0.25 },
    { label: '=cmd|\' /C calc\'!A0,"x"', category: 'scam', source: 'report\\"q', confidence: 0.75 },
  ],
};

function address(
  key: keyof typeof ADDRESS,
  fields: Pick<TraceNode, 'clusterId' | 'clusterSize' | 'hop' | 'value' | 'taintedValue' | 'time'> &
    Partial<Pick<TraceNode, 'tags' | 'stopped'>>,
): TraceNode {
  return {
    id: `address:${ADDRESS[key]}`,
    kind: 'address',
    txid: null,
    address: ADDRESS[key],
    tags: [],
    stopped: false,
    ...fields,
  };
}

function tx(txid: string, hop: number, value: bigint, taintedValue: bigint, time: number): TraceNode {
  return {
    id: `tx:${txid}`,
    kind: 'tx',
    txid,
    address: null,
    clusterId: null,
    clusterSize: null,
    tags: [],
    hop,
    value,
    taintedValue,
    time,
    stopped: false,
  };
}

export const ID = {
  a1: `address:${ADDRESS.a1}`,
  b1: `address:${ADDRESS.b1}`,
  b2: `address:${ADDRESS.b2}`,
  c1: `address:${ADDRESS.c1}`,
  d1: `address:${ADDRESS.d1}`,
  d2: `address:${ADDRESS.d2}`,
  t1: `tx:${TXID_1}`,
  t2: `tx:${TXID_2}`,
} as const;

function edge(
  from: string,
  to: string,
  value: bigint,
  taintedValue: bigint,
  hop: number,
  n: number,
  time: number,
): TraceEdge {
  return { from, to, value, taintedValue, hop, n, time };
}

const T1_TIME = 1_700_000_000;
const T2_TIME = 1_700_000_600;

export function flowGraphFixture(): FlowGraph {
  return {
    nodes: [
      address('a1', {
        clusterId: 10n,
        clusterSize: 1,
        hop: 0,
        value: 100_000n,
        taintedValue: 100_000n,
        time: 1_699_999_400,
        tags: NASTY_TAGS.a1,
      }),
      tx(TXID_1, 1, 99_000n, 99_000n, T1_TIME),
      address('b1', {
        clusterId: 20n,
        clusterSize: 3,
        hop: 1,
        value: 60_000n,
        taintedValue: 60_000n,
        time: T1_TIME,
        tags: NASTY_TAGS.b1,
        stopped: true,
      }),
      address('b2', {
        clusterId: 20n,
        clusterSize: 3,
        hop: 1,
        value: 39_000n,
        taintedValue: 39_000n,
        time: T1_TIME,
      }),
      address('c1', { clusterId: 30n, clusterSize: 1, hop: 2, value: 61_000n, taintedValue: 0n, time: null }),
      tx(TXID_2, 2, 98_000n, 38_220n, T2_TIME),
      address('d1', {
        clusterId: 40n,
        clusterSize: 1,
        hop: 2,
        value: 50_000n,
        taintedValue: 19_500n,
        time: T2_TIME,
        tags: NASTY_TAGS.d1,
      }),
      address('d2', {
        clusterId: 20n,
        clusterSize: 3,
        hop: 2,
        value: 48_000n,
        taintedValue: 18_720n,
        time: T2_TIME,
      }),
    ],
    edges: [
      edge(ID.a1, ID.t1, 100_000n, 100_000n, 1, 0, T1_TIME),
      edge(ID.t1, ID.b1, 60_000n, 60_000n, 1, 0, T1_TIME),
      edge(ID.t1, ID.b2, 39_000n, 39_000n, 1, 1, T1_TIME),
      edge(ID.b2, ID.t2, 39_000n, 39_000n, 2, 1, T2_TIME),
      edge(ID.c1, ID.t2, 61_000n, 0n, 2, 4, T2_TIME),
      edge(ID.t2, ID.d1, 30_000n, 11_700n, 2, 0, T2_TIME),
      edge(ID.t2, ID.d2, 48_000n, 18_720n, 2, 1, T2_TIME),
      edge(ID.t2, ID.d1, 20_000n, 7_800n, 2, 2, T2_TIME),
    ],
    summary: {
      sourceValue: 100_000n,
      reachedValue: 60_000n,
      unspentValue: 19_500n,
      feeValue: 1_780n,
      cutOffValue: 18_720n,
      byCluster: [
        { clusterId: 20n, value: 78_720n },
        { clusterId: 40n, value: 19_500n },
      ],
      byCategory: [
        { category: 'exchange', value: 60_000n },
        { category: 'scam', value: 19_500n },
        { category: 'unspent "x" & <y>', value: 19_500n },
      ],
    },
  };
}
