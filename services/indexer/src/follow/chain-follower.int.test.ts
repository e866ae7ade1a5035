import {
  createDevnetChain,
  createWallet,
  type DevnetChain,
  type DevnetNode,
  startDevnetNode,
  type Wallet,
} from '@minetrace/devnet';
import { hexToHash } from '@minetrace/shared';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkMismatchError } from '../ingest/ingest.errors.js';
import { type ChainFollower, createChainFollower, type FollowerEvent } from './chain-follower.js';
import { captureLogger, indexedTipHash, readDbView, readNodeView, waitFor } from './follower.testing.js';
import { BitcoindRpcClient } from './rpc-client.js';
import { ZmqSubscriber } from './zmq-subscriber.js';

const pools = loadPools();
const silent = createLogger({ level: 'silent' });
/** Long enough that no test passes because of the timer: rounds come from ZMQ, start-up and retries. */
const NO_POLL_MS = 600_000;

/**
 * One devnet node (RPC, REST, ZMQ) and one Postgres database shared by the tests of this file, in
 * order; a follower runs in the background through all of them, woken by ZMQ only.
 */
describe('chain follower: devnet over HTTP and ZMQ into Postgres', () => {
  let chain: DevnetChain;
  let node: DevnetNode;
  let wallet: Wallet;
  let miner: string;
  let test: TestDatabase;
  let rpc: BitcoindRpcClient;
  let zmq: ZmqSubscriber;
  let follower: ChainFollower;
  let running: Promise<void>;
  const controller = new AbortController();
  const events: FollowerEvent[] = [];
  let onBlock: ((height: number) => void) | undefined;
  const log = captureLogger('info');

  const caughtUp = (timeout = 10_000) => waitFor(() => indexedTipHash(test.db), chain.tipHash(), timeout);
  const expectMatchesNode = async () => {
    const [nodeView, dbView] = await Promise.all([readNodeView(rpc), readDbView(test.db)]);
    expect(dbView.height).toBe(nodeView.height);
    expect(dbView.tipHash).toBe(nodeView.hashes.at(-1));
    expect(dbView.hashes).toEqual(nodeView.hashes);
    expect(dbView.txCounts).toEqual(nodeView.txCounts);
    expect(dbView.utxoTotalSats).toBe(nodeView.utxoTotalSats);
    expect(dbView.utxoCount).toBe(nodeView.utxoCount);
  };
  /** Mines one block holding a fresh payment to a new address; returns that address. */
  const mineWithSpend = (): string => {
    const to = wallet.newAddress('p2wpkh', 'reorg').address;
    const tx = wallet.send({ to: [{ address: to, value: 10_000_000n }] });
    chain.sendRawTransaction(tx.raw);
    chain.mine({ coinbaseOutputs: miner, txs: [tx.raw] });
    return to;
  };

  beforeAll(async () => {
    chain = createDevnetChain();
    wallet = createWallet('chain-follower-int', { chain });
    miner = wallet.newAddress('p2wpkh', 'miner').address;
    chain.generateToAddress(110, miner);
    for (let i = 0; i < 5; i++) mineWithSpend();
    // Fixed credentials, as rpcuser/rpcpassword in bitcoin.conf: they survive the restart test.
    node = await startDevnetNode({ chain, rpcUser: 'minetrace', rpcPassword: 'follower-test' });
    test = await createTestDatabase('postgres', { name: 'follower' });
    rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
    zmq = new ZmqSubscriber({ endpoints: [node.zmqUrl!], logger: silent });
    follower = createChainFollower({
      db: test.db,
      rpc,
      zmq,
      pools,
      logger: log.logger,
      config: { pollIntervalMs: NO_POLL_MS, retryInitialMs: 20, retryMaxMs: 200 },
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'block') onBlock?.(event.height);
      },
    });
    running = follower.run(controller.signal);
    // A fatal error surfaces in the tests through the follower's state; keep it from going unhandled.
    running.catch(() => {});
    await caughtUp(30_000);
  });
  afterAll(async () => {
    controller.abort();
    await running?.catch(() => {});
    await zmq?.close();
    await test?.close();
    await node?.stop();
  });

  it('indexes the whole chain from start-up: every hash, tx count and the UTXO set total', async () => {
    await expectMatchesNode();
    expect(follower.status().state).toBe('ok');
    const state = await test.db.selectFrom('chain_state').select('network').executeTakeFirstOrThrow();
    expect(state.network).toBe('regtest');
  });

  for (const depth of [1, 2, 7]) {
    it(`follows a reorg of depth ${depth}: rolls back, un-marks spends, logs it, applies the new branch`, async () => {
      const orphanedAddresses: string[] = [];
      for (let i = 0; i < depth; i++) orphanedAddresses.push(mineWithSpend());
      await caughtUp();
      const oldTip = { height: chain.tipHeight(), hash: chain.tipHash() };
      const forkHeight = oldTip.height - depth;
      const forkHash = chain.hashAtHeight(forkHeight)!;
      const reorgsBefore = await test.db.selectFrom('reorgs').select('id').execute();

      chain.invalidateBlock(chain.hashAtHeight(forkHeight + 1)!);
      // The new branch leaves the orphaned payments out, so the outputs they spent are unspent again.
      for (let i = 0; i <= depth; i++)
        chain.mine({ coinbaseOutputs: miner, coinbaseTag: `fork-${depth}`, txs: [] });
      await caughtUp();

      await expectMatchesNode();
      const reorgs = await test.db.selectFrom('reorgs').selectAll().orderBy('id').execute();
      expect(reorgs).toHaveLength(reorgsBefore.length + 1);
      const row = reorgs.at(-1)!;
      expect(row.depth).toBe(depth);
      expect(row.fork_height).toBe(forkHeight);
      expect(row.fork_hash).toEqual(hexToHash(forkHash));
      expect(row.old_tip_height).toBe(oldTip.height);
      expect(row.old_tip_hash).toEqual(hexToHash(oldTip.hash));
      const gone = await test.db
        .selectFrom('addresses')
        .select('address')
        .where('address', 'in', orphanedAddresses)
        .execute();
      expect(gone).toEqual([]);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'reorg',
          depth,
          oldTip,
          fork: { height: forkHeight, hash: forkHash },
        }),
      );
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          msg: 'reorg: rolled back to the fork point',
          depth,
          old_tip_hash: oldTip.hash,
        }),
      );
      // The orphaned payments went back to the node's mempool; confirm them on the new branch.
      chain.generateToAddress(1, miner);
      await caughtUp();
      await expectMatchesNode();
    });
  }

  it('keeps up when every other ZMQ message is lost', async () => {
    node.zmq!.dropEvery(2);
    const gapsBefore = zmq.stats().gaps;
    try {
      for (let i = 0; i < 6; i++) {
        mineWithSpend();
        await node.zmq!.flush();
      }
      await caughtUp();
    } finally {
      node.zmq!.dropEvery(0);
    }
    expect(zmq.stats().gaps).toBeGreaterThan(gapsBefore);
    await expectMatchesNode();
  });

  it('ignores duplicate rawblock messages', async () => {
    node.zmq!.duplicateEvery(1, 'rawblock');
    const before = { duplicates: zmq.stats().duplicates, reorgs: follower.status().reorgs };
    try {
      for (let i = 0; i < 4; i++) {
        mineWithSpend();
        await node.zmq!.flush();
      }
      await caughtUp();
      await expect.poll(() => zmq.stats().duplicates - before.duplicates).toBeGreaterThanOrEqual(4);
    } finally {
      node.zmq!.duplicateEvery(0);
    }
    expect(follower.status().reorgs).toBe(before.reorgs);
    expect(follower.status().state).toBe('ok');
    await expectMatchesNode();
  });

  it('rejects a malformed block from the node, logs it, keeps its tip and retries until the node serves it whole', async () => {
    const tipBefore = await indexedTipHash(test.db);
    mineWithSpend();
    const bad = chain.tipHash();
    node.faults.set({ malformedBlock: bad });
    try {
      await expect.poll(() => follower.status().state, { timeout: 5000 }).toBe('bad-block');
      expect(follower.status().reason).toContain(bad);
      // Several retries happen while the node keeps serving the broken bytes.
      const failed = follower.status().rounds.failed;
      await expect.poll(() => follower.status().rounds.failed, { timeout: 5000 }).toBeGreaterThan(failed + 1);
      expect(await indexedTipHash(test.db)).toBe(tipBefore);
      const logged = log.lines.filter((line) => line.state === 'bad-block');
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged[0])).toContain(bad);
    } finally {
      node.faults.clear();
    }
    await caughtUp();
    expect(follower.status().state).toBe('ok');
    await expectMatchesNode();
  });

  it('waits out a node warming up (-28) and a busy node (503), reporting each state', async () => {
    node.faults.set({ warmup: true });
    mineWithSpend();
    await expect.poll(() => follower.status().state, { timeout: 5000 }).toBe('warming-up');
    node.faults.set({ warmup: false, busy: 3 });
    follower.poke();
    await caughtUp();
    expect(
      events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : '')),
    ).toContain('warming-up');
    mineWithSpend();
    node.faults.set({ busy: 4 });
    await caughtUp();
    expect(events.some((e) => e.type === 'state' && e.state === 'busy')).toBe(true);
    expect(follower.status().state).toBe('ok');
    await expectMatchesNode();
  });

  it('survives the node going down mid-sync and resumes on its own when it is back on the same port', async () => {
    const port = node.rpcPort;
    const zmqEndpoint = node.zmqUrl!;
    const from = chain.tipHeight();
    let stopping: Promise<void> | undefined;
    onBlock = (height) => {
      if (height === from + 5) stopping ??= node.stop();
    };
    chain.generateToAddress(60, miner);
    follower.poke();
    await expect.poll(() => stopping !== undefined, { timeout: 10_000 }).toBe(true);
    await stopping;
    onBlock = undefined;
    await expect.poll(() => follower.status().state, { timeout: 5000 }).toBe('node-down');
    const indexedWhileDown = (await readDbView(test.db)).height;
    expect(indexedWhileDown).toBeLessThan(chain.tipHeight());
    chain.generateToAddress(3, miner);

    node = await startDevnetNode({
      chain,
      rpcPort: port,
      zmqEndpoint,
      rpcUser: 'minetrace',
      rpcPassword: 'follower-test',
    });
    await caughtUp();
    expect(follower.status().state).toBe('ok');
    await expectMatchesNode();
    const downLines = log.lines.filter((line) => line.state === 'node-down');
    expect(downLines).toHaveLength(1);
    expect(follower.metrics()).toContain('minetrace_follower_state{state="ok"} 1');
  });
});

describe('chain follower without ZMQ', () => {
  let node: DevnetNode;
  let test: TestDatabase;

  beforeAll(async () => {
    node = await startDevnetNode({ zmqEndpoint: null });
    node.chain.generateToAddress(
      20,
      createWallet('no-zmq', { chain: node.chain }).newAddress('p2wpkh').address,
    );
    test = await createTestDatabase('postgres', { name: 'follower_nozmq' });
  });
  afterAll(async () => {
    await test?.close();
    await node?.stop();
  });

  it('follows by polling alone', async () => {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    const follower = createChainFollower({
      db: test.db,
      rpc,
      pools,
      logger: silent,
      config: { pollIntervalMs: 50 },
    });
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    try {
      const address = createWallet('no-zmq', { chain: node.chain }).newAddress('p2wpkh').address;
      node.chain.generateToAddress(3, address);
      await expect.poll(() => indexedTipHash(test.db), { timeout: 5000 }).toBe(node.chain.tipHash());
      // A reorg is found by polling too.
      node.chain.invalidateBlock(node.chain.hashAtHeight(node.chain.tipHeight() - 1)!);
      for (let i = 0; i < 3; i++) node.chain.mine({ coinbaseOutputs: address, coinbaseTag: 'fork' });
      await expect.poll(() => indexedTipHash(test.db), { timeout: 5000 }).toBe(node.chain.tipHash());
      const [nodeView, dbView] = await Promise.all([readNodeView(rpc), readDbView(test.db)]);
      expect(dbView.hashes).toEqual(nodeView.hashes);
      expect(dbView.utxoTotalSats).toBe(nodeView.utxoTotalSats);
      expect(follower.status().zmq).toBeNull();
      expect(follower.status().rounds.timer).toBeGreaterThan(0);
    } finally {
      controller.abort();
      await running;
    }
  });

  it('refuses a node on another network than the database, with a clear message', async () => {
    await test.db.updateTable('chain_state').set({ network: 'main' }).execute();
    const follower = createChainFollower({
      db: test.db,
      rpc: new BitcoindRpcClient({ url: node.rpcUrl }),
      pools,
      logger: silent,
      config: { pollIntervalMs: 50 },
    });
    const tip = await indexedTipHash(test.db);
    await expect(follower.prepare()).rejects.toThrow(NetworkMismatchError);
    await expect(follower.run(new AbortController().signal)).rejects.toThrow(
      /the node is on regtest but this database indexes main/,
    );
    expect(follower.status().state).toBe('stopped');
    expect(await indexedTipHash(test.db)).toBe(tip);
  });
});

describe('chain follower started before its node', () => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await createTestDatabase('postgres', { name: 'follower_start' });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('waits while the node is down, then warming up, and catches up once it answers', async () => {
    const chain = createDevnetChain();
    chain.generateToAddress(5, createWallet('late-node', { chain }).newAddress('p2wpkh').address);
    // A port that was free a moment ago: nothing answers there until the node starts.
    const probe = await startDevnetNode({ chain, zmqEndpoint: null, rpcUser: 'u', rpcPassword: 'p' });
    const { rpcPort, rpcUrl } = probe;
    await probe.stop();

    const follower = createChainFollower({
      db: test.db,
      rpc: new BitcoindRpcClient({ url: rpcUrl }),
      pools,
      logger: silent,
      config: { pollIntervalMs: 50, retryInitialMs: 20, retryMaxMs: 100 },
    });
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    let node: DevnetNode | undefined;
    try {
      await waitFor(() => follower.status().state, 'node-down', 5000);
      node = await startDevnetNode({ chain, rpcPort, zmqEndpoint: null, rpcUser: 'u', rpcPassword: 'p' });
      node.faults.set({ warmup: true });
      await waitFor(() => follower.status().state, 'warming-up', 5000);
      expect(await indexedTipHash(test.db)).toBeNull();
      node.faults.clear();
      await waitFor(() => indexedTipHash(test.db), chain.tipHash(), 5000);
      expect(follower.status().state).toBe('ok');
      expect(follower.status().chain).toBe('regtest');
    } finally {
      controller.abort();
      await running;
      await node?.stop();
    }
  });
});
