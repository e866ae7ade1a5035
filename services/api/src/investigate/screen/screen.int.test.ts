import { createDevnetChain, type GroundTruth, runScenario } from '@minetrace/devnet';
import { applyBlock, syncPools } from '@minetrace/indexer';
import { decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags } from '@minetrace/shared/tags';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../auth/api-key.repository.js';
import { type ApiServer, createApiServer } from '../../http/api-server.js';

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
    const chain = createDevnetChain();
    truth = runScenario('demo', chain);
    const pools = loadPools();
    await syncPools(test.db, pools);
    for (let height = 0; height <= chain.tipHeight(); height++) {
      const block = chain.getBlock(chain.hashAtHeight(height)!)!;
      await applyBlock(test.db, decodeBlock(block.raw, 'regtest'), pools, { height });
    }
    await storeTags(test.db, truth.tags, null);
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
