import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexDemoChain, suspectTraceRequest, suspectTraceSummary } from '../../testing/index.js';
import type { TracePolicy } from '../trace.types.js';
import { findPaths } from './find-paths.js';
import { runTrace } from './run-trace.js';

/**
 * The demo scenario indexed from its blocks, its tags loaded, and the suspect's flow traced: the
 * expected figures are the scenario's own, worked out in closed form from the transactions it built
 * (packages/devnet/src/scenarios/demo-expectations.ts), never by a trace engine.
 */
describe('tracing the demo suspect (postgres)', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db);
  }, 240_000);
  afterAll(async () => {
    await test?.close();
  });

  const flow = () => truth.suspectFlow!;

  for (const policy of ['poison', 'haircut', 'fifo', 'lifo', 'tiho'] as TracePolicy[]) {
    it(`${policy}: reaches the exchange with exactly the expected satoshis`, async () => {
      const expected = flow().trace;
      const result = await runTrace(test.db, suspectTraceRequest(truth, policy));
      expect(result.summary).toMatchObject(suspectTraceSummary(truth, policy));
      expect(result.truncated).toBe(false);
      // An edge is one output: it never carries more taint than the output holds, and no output is drawn twice.
      for (const e of result.edges)
        expect(e.taintedValue, `${e.from} -> ${e.to}`).toBeLessThanOrEqual(e.value);
      const sources = new Set(expected.from.addresses.map((a) => `address:${a}`));
      const spentFromSources = result.edges
        .filter((e) => sources.has(e.from))
        .reduce((sum, e) => sum + e.value, 0n);
      expect(spentFromSources).toBeLessThanOrEqual(BigInt(expected.sourceValue));
      const s = result.summary;
      expect(s.reachedValue + s.unspentValue + s.feeValue + s.cutOffValue).toBe(s.sourceValue);
      // Whatever reached the exchange ended at its deposit addresses.
      const reachedAt = result.nodes.filter((n) => n.stopped).map((n) => n.address);
      if (s.reachedValue > 0n) {
        expect(new Set(reachedAt)).toEqual(new Set(flow().depositAddresses));
        expect(s.byCategory.find((c) => c.category === 'exchange')?.value).toBe(s.reachedValue);
      }
      if (policy === 'poison') {
        expect(s.poisoned).toEqual({
          reachedValue: BigInt(expected.poisoned.reachedValue),
          unspentValue: BigInt(expected.poisoned.unspentValue),
          feeValue: BigInt(expected.poisoned.feeValue),
          cutOffValue: BigInt(expected.poisoned.cutOffValue),
        });
      }
    });
  }

  it('finds the peel chain as the shortest path from the sanctioned address to the last deposit', async () => {
    const f = flow();
    const result = await findPaths(test.db, {
      from: [f.sanctionedAddress],
      to: [f.depositAddresses[f.depositAddresses.length - 1]!],
      maxHops: 20,
      maxPaths: 10,
    });
    expect(result.paths.map((p) => p.txids)).toEqual([[f.consolidationTxid, f.coinjoinTxid, ...f.peelTxids]]);
    const [path] = result.paths;
    // The CoinJoin's link is the suspect's equal-valued output.
    expect(path!.links[2]!.address).toBe(f.coinjoinOutputAddress);
    expect(path!.links[2]!.value).toBe(BigInt(f.coinjoinDenomination));
  });

  it('traces each deposit back to the sanctioned address with the expected haircut exposure', async () => {
    for (const exposure of flow().exposure) {
      const result = await runTrace(test.db, {
        from: { addresses: [exposure.address] },
        direction: 'backward',
        policy: 'haircut',
        maxHops: exposure.hops,
        minValue: 0n,
        maxNodes: 10_000,
        stopAt: ['sanctioned'],
      });
      expect(result.summary.sourceValue).toBe(BigInt(exposure.receivedValue));
      // value = received × share as an exact ratio; each of the `hops` integer splits rounds by less
      // than one satoshi per party, so the reached satoshis are within `hops` of it.
      const exact = BigInt(exposure.value.numerator);
      const denominator = BigInt(exposure.value.denominator);
      const difference = result.summary.reachedValue * denominator - exact;
      const bound = BigInt(exposure.hops) * denominator;
      expect(difference <= bound && difference >= -bound).toBe(true);
      const s = result.summary;
      expect(s.reachedValue + s.unspentValue + s.feeValue + s.cutOffValue).toBe(s.sourceValue);
    }
  });
});
