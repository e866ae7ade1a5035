import { createDevnetChain, type GroundTruth } from '@minetrace/devnet';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { storeTags } from '@minetrace/shared/tags';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../auth/api-key.repository.js';
import { type ApiServer, createApiServer } from '../../http/api-server.js';
import { indexChain, indexDemoChain } from '../../testing/index.js';
import { runTrace } from '../trace/run-trace.js';
import type { TraceResult } from '../trace.types.js';
import { screenAddresses } from './screen.js';
import { DEFAULT_SCREEN_RULES, type ScreenRules } from './screen-rules.js';

/** Height the partially indexed copy of the demo chain starts at: its early spends lose their prevouts. */
const PARTIAL_FROM = 150;

/** A valid regtest address no scenario pays. */
const NEVER_SEEN = 'bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202';

const SCREEN = `query Screen($a: [String!]!) {
  screen(addresses: $a) {
    address risk received truncated cluster { id size }
    reasons { kind risk detail tag { label category source } hops value share shareNumerator shareDenominator
      pool addresses sourceOutpoints { txid n } path }
  }
}`;

interface Reason {
  kind: string;
  risk: string;
  detail: string;
  tag: { label: string; category: string; source: string } | null;
  hops: number | null;
  value: string | null;
  share: number | null;
  shareNumerator: string | null;
  shareDenominator: string | null;
  pool: string | null;
  addresses: string[];
  sourceOutpoints: Array<{ txid: string; n: number }>;
  path: string[];
}
interface Result {
  address: string;
  risk: string;
  received: string;
  cluster: { id: string; size: number } | null;
  reasons: Reason[];
}

/** Counts the statements the API sends, to check that screening batches by hop, not by address. */
function statementCounter(): { plugin: KyselyPlugin; count: number } {
  const counter = {
    count: 0,
    plugin: {
      transformQuery(args) {
        counter.count += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    } satisfies KyselyPlugin,
  };
  return counter;
}

describe('screening on the indexed demo chain', () => {
  let test: TestDatabase;
  let db: Db;
  let truth: GroundTruth;
  let chain: ReturnType<typeof createDevnetChain>;
  let server: ApiServer;
  let url: string;
  const counter = statementCounter();
  const keys: Record<'investigator' | 'screener', string> = {} as never;

  async function screen(addresses: string[], key = keys.screener) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: SCREEN, variables: { a: addresses } }),
    });
    return (await response.json()) as {
      data?: { screen: Result[] } | null;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    };
  }

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    db = test.db.withPlugin(counter.plugin);
    chain = createDevnetChain();
    truth = await indexDemoChain(test.db, { chain });
    for (const role of ['investigator', 'screener'] as const) {
      keys[role] = (await createApiKey(test.db, { name: `${role} key`, role })).secret;
    }
    server = createApiServer({
      db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0, SCREEN_MAX_HOPS: 3 },
      logger: createLogger({ level: 'silent' }),
    });
    url = await server.listen();
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await test?.close();
  });

  it("finds the first peel deposit's exposure to the sanctioned suspect, as the ground truth works it out", async () => {
    const flow = truth.suspectFlow!;
    const expected = flow.exposure[0]!;
    const { data, errors } = await screen([expected.address]);
    expect(errors).toBeUndefined();
    const [result] = data!.screen;
    const exposure = result!.reasons.filter((r) => r.kind === 'INDIRECT_EXPOSURE');
    expect(exposure).toHaveLength(1);
    const found = exposure[0]!;
    expect(found.tag).toEqual({
      label: 'Demo suspect',
      category: 'sanctioned',
      source: 'demo sanctions list',
    });
    expect(found.addresses).toEqual([flow.sanctionedAddress]);
    expect(found.hops).toBe(expected.hops);
    expect(found.hops).toBe(3);
    // Both sides in lowest terms, so equal ratios are equal strings.
    expect({ numerator: found.shareNumerator, denominator: found.shareDenominator }).toEqual(expected.share);
    const share = Number(expected.share.numerator) / Number(expected.share.denominator);
    expect(found.share).toBeCloseTo(share, 12);
    // The deposit's only receipt times the share, rounded down.
    expect(BigInt(result!.received)).toBe(BigInt(expected.receivedValue));
    expect(BigInt(found.value!)).toBe(BigInt(expected.value.numerator) / BigInt(expected.value.denominator));
    expect(found.path).toEqual(expected.path);
    expect(new Set(found.sourceOutpoints.map((o) => `${o.txid}:${o.n}`))).toEqual(
      new Set(expected.sourceOutpoints.map((o) => `${o.txid}:${o.n}`)),
    );
    // docs/screening.md: exposure to a SEVERE category is HIGH from 25%, MEDIUM from 5%, LOW below.
    const risk = share >= 0.25 ? 'HIGH' : share >= 0.05 ? 'MEDIUM' : 'LOW';
    expect(found.risk).toBe(risk);
    // The deposit is the exchange's own (tagged, no risk), so the exposure sets the verdict.
    expect(result!.reasons.find((r) => r.kind === 'DIRECT_TAG')?.tag?.category).toBe('exchange');
    expect(result!.reasons.find((r) => r.kind === 'DIRECT_TAG')?.risk).toBe('NONE');
    expect(result!.risk).toBe(risk);
  });

  it('stops at SCREEN_MAX_HOPS: the second deposit is four transactions from the suspect', async () => {
    const second = truth.suspectFlow!.exposure[1]!;
    expect(second.hops).toBe(4);
    const { data } = await screen([second.address]);
    expect(data!.screen[0]!.reasons.map((r) => r.kind)).toEqual(['DIRECT_TAG']);
    expect(data!.screen[0]!.risk).toBe('NONE');
  });

  it('reports the sanctioned address as SEVERE by its own tag', async () => {
    const address = truth.suspectFlow!.sanctionedAddress;
    const { data } = await screen([address], keys.investigator);
    const [result] = data!.screen;
    expect(result!.risk).toBe('SEVERE');
    const direct = result!.reasons.filter((r) => r.kind === 'DIRECT_TAG');
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatchObject({
      risk: 'SEVERE',
      tag: { category: 'sanctioned', label: 'Demo suspect' },
    });
    expect(result!.cluster).not.toBeNull();
  });

  it("reports a miner's address as clean, with the pools that paid it", async () => {
    const payout = truth.payouts.find((p) => p.entity.startsWith('miner-'))!;
    const { data } = await screen([payout.recipient]);
    const [result] = data!.screen;
    expect(result!.risk).toBe('NONE');
    expect(result!.reasons.every((r) => r.kind === 'MINING_PAYOUTS' && r.risk === 'NONE')).toBe(true);
    const expected = new Map<string, bigint>();
    for (const p of truth.payouts.filter((q) => q.recipient === payout.recipient)) {
      expected.set(p.pool, (expected.get(p.pool) ?? 0n) + BigInt(p.value));
    }
    expect(new Map(result!.reasons.map((r) => [r.pool!, BigInt(r.value!)]))).toEqual(expected);
  });

  it('reports an address never seen on chain as UNKNOWN_ADDRESS', async () => {
    const { data } = await screen([NEVER_SEEN]);
    expect(data!.screen).toEqual([
      {
        address: NEVER_SEEN,
        risk: 'NONE',
        received: '0',
        truncated: false,
        cluster: null,
        reasons: [expect.objectContaining({ kind: 'UNKNOWN_ADDRESS', risk: 'NONE' })],
      },
    ]);
  });

  it('refuses more than 1,000 addresses, or an invalid one, with BAD_USER_INPUT', async () => {
    const deposit = truth.suspectFlow!.depositAddresses[0]!;
    const tooMany = await screen(Array.from({ length: 1001 }, () => deposit));
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toMatch(/at most 1000 addresses/);
    const invalid = await screen([deposit, 'not-an-address']);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('screens 1,000 addresses in one call, in input order', async () => {
    const all = truth.entities.flatMap((e) => e.addresses);
    const batch = Array.from({ length: 1000 }, (_, i) => all[i % all.length]!);
    const { data, errors } = await screen(batch);
    expect(errors).toBeUndefined();
    expect(data!.screen.map((r) => r.address)).toEqual(batch);
    const sanctioned = truth.suspectFlow!.sanctionedAddress;
    for (const result of data!.screen.filter((r) => r.address === sanctioned))
      expect(result.risk).toBe('SEVERE');
  }, 120_000);

  it('sends as many statements for 40 addresses as for one', async () => {
    const deposit = truth.suspectFlow!.exposure[0]!.address;
    const others = [...new Set(truth.payouts.map((p) => p.recipient))].slice(0, 39);
    counter.count = 0;
    const one = await screen([deposit]);
    const forOne = counter.count;
    counter.count = 0;
    const many = await screen([deposit, ...others]);
    const forMany = counter.count;
    expect(one.errors).toBeUndefined();
    expect(many.data!.screen).toHaveLength(40);
    expect(many.data!.screen[0]).toEqual(one.data!.screen[0]);
    expect(forMany).toBe(forOne);
  });

  it('keeps the heaviest transactions of a hop beyond maxTxsPerHop, and says its shares are lower bounds', async () => {
    const expected = truth.suspectFlow!.exposure[0]!;
    const options = { rules: DEFAULT_SCREEN_RULES, maxHops: expected.hops };
    const [full] = await screenAddresses(db, [expected.address], options);
    const [cut] = await screenAddresses(db, [expected.address], { ...options, maxTxsPerHop: 1 });
    expect(full!.truncated).toBe(false);
    // The CoinJoin's inputs come from several transactions: with one kept per hop the walk loses weight.
    expect(cut!.truncated).toBe(true);
    const share = (r: typeof full) => r!.reasons.find((x) => x.kind === 'INDIRECT_EXPOSURE')?.share ?? 0;
    expect(share(cut)).toBeLessThanOrEqual(share(full));
    expect(share(full)).toBeGreaterThan(0);
  });

  describe('agreement with the trace engine', () => {
    /** Every exposure reported, whatever its category's level, so that all of them can be compared. */
    const everyExposure: ScreenRules = {
      ...DEFAULT_SCREEN_RULES,
      exposure: { ...DEFAULT_SCREEN_RULES.exposure, minCategoryRisk: 'NONE' },
    };
    const backwardHaircut = (on: Db, address: string, maxHops: number, stopAt: string[]) =>
      runTrace(on, {
        from: { addresses: [address] },
        direction: 'backward',
        policy: 'haircut',
        maxHops,
        minValue: 0n,
        maxNodes: 10_000,
        stopAt,
      });
    /**
     * Screening's value is received × share exactly; the trace splits integer satoshis, and each of
     * its `hops` splits rounds a party by less than one satoshi, so the traced satoshis at the source
     * are within `hops` of the exact figure.
     */
    const expectSameValue = (
      traced: bigint,
      received: bigint,
      share: { num: bigint; den: bigint },
      hops: number,
    ) => {
      const difference = traced * share.den - received * share.num;
      const bound = BigInt(hops) * share.den;
      expect(
        difference <= bound && difference >= -bound,
        `traced ${traced} vs ${received} × ${share.num}/${share.den}`,
      ).toBe(true);
    };
    const nodeOf = (trace: TraceResult, address: string) =>
      trace.nodes.find((n) => n.id === `address:${address}`);

    /**
     * Screens every demo address on `on` and traces back from each exposed one, stopping at every
     * tag (where screening stops: at any tagged address); each exposure must be a stopped node of
     * the trace with the same hops and value, and every source the trace reached an exposure.
     * Returns how many exposures were compared and the txids of their paths.
     */
    async function compareEveryExposure(on: Db, maxHops: number) {
      const categories = (
        await sql<{ category: string }>`SELECT DISTINCT category FROM tags`.execute(on)
      ).rows.map((r) => r.category);
      const all = [...new Set(truth.entities.flatMap((e) => e.addresses))];
      const results = await screenAddresses(on, all, { rules: everyExposure, maxHops });
      let compared = 0;
      const paths = new Set<string>();
      for (const result of results) {
        const found = result.reasons.filter((r) => r.kind === 'INDIRECT_EXPOSURE');
        if (found.length === 0) continue;
        const trace = await backwardHaircut(on, result.address, maxHops, categories);
        expect(trace.truncated).toBe(false);
        expect(result.received, result.address).toBe(trace.summary.sourceValue);
        for (const reason of found) {
          const source = nodeOf(trace, reason.addresses[0]!);
          expect(source?.stopped, `${result.address} ← ${reason.addresses[0]}`).toBe(true);
          expect(reason.hops).toBe(source!.hop);
          expectSameValue(source!.taintedValue, result.received, reason.shareExact!, maxHops);
          for (const txid of reason.path) paths.add(txid);
          compared += 1;
        }
        const sources = new Set(found.map((r) => r.addresses[0]));
        for (const node of trace.nodes.filter((n) => n.stopped && n.taintedValue > 0n)) {
          expect(sources.has(node.address!), `${result.address} ← ${node.address}`).toBe(true);
        }
      }
      return { compared, paths };
    }

    it('reports for each peel deposit what a backward haircut trace of the same hops reaches', async () => {
      const flow = truth.suspectFlow!;
      expect(flow.exposure.length).toBeGreaterThanOrEqual(3);
      for (const expected of flow.exposure) {
        const [result] = await screenAddresses(db, [expected.address], {
          rules: DEFAULT_SCREEN_RULES,
          maxHops: expected.hops,
        });
        const found = result!.reasons.filter((r) => r.kind === 'INDIRECT_EXPOSURE');
        expect(
          found.map((r) => r.addresses),
          expected.address,
        ).toEqual([[flow.sanctionedAddress]]);
        const reason = found[0]!;
        const trace = await backwardHaircut(test.db, expected.address, expected.hops, ['sanctioned']);
        expect(trace.truncated).toBe(false);
        expect(result!.received).toBe(trace.summary.sourceValue);
        // One source, so everything the trace reached is the exposure.
        const source = nodeOf(trace, flow.sanctionedAddress)!;
        expect(trace.nodes.filter((n) => n.stopped).map((n) => n.address)).toEqual([flow.sanctionedAddress]);
        expect(source.taintedValue).toBe(trace.summary.reachedValue);
        expectSameValue(trace.summary.reachedValue, result!.received, reason.shareExact!, expected.hops);
        expect(reason.value! - trace.summary.reachedValue <= BigInt(expected.hops)).toBe(true);
        expect(trace.summary.reachedValue - reason.value! <= BigInt(expected.hops)).toBe(true);
        // Hops count transactions alike: the k-th txid of the path is the trace's transaction at hop k.
        expect(reason.hops).toBe(source.hop);
        expect(reason.path).toHaveLength(expected.hops);
        reason.path.forEach((txid, i) => {
          expect(trace.nodes.find((n) => n.id === `tx:${txid}`)?.hop, txid).toBe(i + 1);
        });
      }
    });

    it("agrees with backward haircut traces on every demo address's exposures", async () => {
      const { compared } = await compareEveryExposure(test.db, 3);
      // The demo's exchange deposits, miners' payouts and the suspect's flow all have sources.
      expect(compared).toBeGreaterThanOrEqual(20);
    }, 120_000);

    describe('on a chain indexed from a later height', () => {
      let partial: TestDatabase;
      beforeAll(async () => {
        partial = await createTestDatabase('postgres', { name: 'screen_partial' });
        await indexChain(partial.db, chain, { from: PARTIAL_FROM });
        await storeTags(partial.db, truth.tags, null);
      }, 300_000);
      afterAll(async () => {
        await partial?.close();
      });

      it("agrees where prevouts are missing: the unfunded part of the outputs is nobody's", async () => {
        // Transactions spending outputs from below PARTIAL_FROM have fewer inputs in view than their
        // outputs pay; both walks pass on w / (outputs' total) per input there, not w / (inputs').
        const unfunded = (
          await sql<{ txid: Buffer }>`
            SELECT t.txid FROM txs t
            WHERE t.fee IS NULL AND NOT t.is_coinbase
              AND (SELECT sum(value) FROM outputs WHERE tx_id = t.id) >
                  (SELECT coalesce(sum(value), 0) FROM outputs WHERE spent_by_tx_id = t.id)`.execute(
            partial.db,
          )
        ).rows.map((r) => r.txid.toString('hex'));
        const { compared, paths } = await compareEveryExposure(partial.db, 3);
        expect(compared).toBeGreaterThanOrEqual(20);
        expect(unfunded.some((txid) => paths.has(txid))).toBe(true);
      }, 120_000);
    });
  });

  describe('GET /api/v1/address/{address} (the Chainalysis sanctions API shape)', () => {
    const get = (address: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/api/v1/address/${address}`, { headers });

    it('needs a key: 401 without one', async () => {
      const response = await get(truth.suspectFlow!.sanctionedAddress);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toMatch(/X-API-Key/);
    });

    it('names the sanction of a sanctioned address, with the whole screening under minetrace', async () => {
      const address = truth.suspectFlow!.sanctionedAddress;
      const response = await get(address, { 'X-API-Key': keys.screener });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        identifications: unknown[];
        minetrace: Result;
      };
      expect(body.identifications).toEqual([
        {
          category: 'sanctions',
          name: 'SANCTIONS: Demo suspect',
          description: `${address} is on demo sanctions list: Demo suspect`,
          url: null,
        },
      ]);
      expect(body.minetrace).toMatchObject({ address, risk: 'SEVERE' });
    });

    it('answers an empty list for an address that is only exposed, and 400 for a bad address', async () => {
      const deposit = truth.suspectFlow!.exposure[0]!.address;
      const response = await get(deposit, { 'X-API-Key': keys.investigator });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { identifications: unknown[]; minetrace: Result };
      expect(body.identifications).toEqual([]);
      expect(body.minetrace.reasons.map((r) => r.kind)).toContain('INDIRECT_EXPOSURE');
      const bad = await get('not-an-address', { 'X-API-Key': keys.investigator });
      expect(bad.status).toBe(400);
    });
  });
});
