import { createWallet, type DevnetNode, REGTEST_GENESIS_HASH, startDevnetNode } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from 'zeromq';
import { createChainFollower } from './chain-follower.js';
import { indexedTipHash, waitFor } from './follower.testing.js';
import { BitcoindRpcClient } from './rpc-client.js';
import { type ZmqNotice, ZmqSubscriber } from './zmq-subscriber.js';

const logger = createLogger({ level: 'silent' });

function seq(n: number): Buffer {
  const frame = Buffer.alloc(4);
  frame.writeUInt32LE(n);
  return frame;
}

describe('ZmqSubscriber against a real ZMQ publisher', () => {
  let publisher: Publisher;
  let subscriber: ZmqSubscriber;
  const notices: ZmqNotice[] = [];
  let endpoint: string;

  beforeAll(async () => {
    publisher = new Publisher({ linger: 0 });
    await publisher.bind('tcp://127.0.0.1:*');
    endpoint = publisher.lastEndpoint!;
    subscriber = new ZmqSubscriber({ endpoints: [endpoint], logger });
    subscriber.start((notice) => notices.push(notice));
    // PUB/SUB drops what is sent before the subscription reaches the publisher: ring until heard.
    await waitFor(
      async () => {
        await publisher.send(['hashblock', Buffer.alloc(32, 1), seq(0)]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return notices.some((n) => n.type === 'block');
      },
      true,
      5000,
    );
    notices.length = 0;
  });
  afterAll(async () => {
    await subscriber?.close();
    publisher?.close();
  });

  const received = async (count: number) => {
    await waitFor(() => notices.filter((n) => n.type !== 'connected').length >= count, true, 3000);
    return notices.splice(0).filter((n) => n.type !== 'connected');
  };

  it('reports lost, repeated and reordered messages per topic from their sequence numbers', async () => {
    const hash = Buffer.alloc(32, 2);
    // The last seen hashblock number is 0 (or the start-up ringing's): restart counting from 10.
    await publisher.send(['hashblock', hash, seq(10)]);
    await publisher.send(['hashblock', hash, seq(11)]);
    await publisher.send(['hashblock', hash, seq(11)]); // duplicate
    await publisher.send(['hashblock', hash, seq(14)]); // 12 and 13 lost
    await publisher.send(['hashblock', hash, seq(13)]); // late: reordered
    const got = await received(8);
    const kinds = got.map((n) => (n.type === 'gap' ? `gap ${n.expected}->${n.received}` : n.type));
    expect(kinds).toEqual([
      'gap 1->10',
      'block',
      'block',
      'duplicate',
      'gap 12->14',
      'block',
      'gap 15->13',
      'block',
    ]);
  });

  it('reads the block hash from hashblock, rawblock (hash of the header) and sequence connect/disconnect', async () => {
    const node = await startDevnetNode({ zmqEndpoint: null });
    try {
      const genesis = node.chain.getBlock(REGTEST_GENESIS_HASH)!;
      const hash = Buffer.from(REGTEST_GENESIS_HASH, 'hex');
      await publisher.send(['rawblock', genesis.raw, seq(0)]);
      await publisher.send(['sequence', Buffer.concat([hash, Buffer.from('C')]), seq(0)]);
      await publisher.send(['sequence', Buffer.concat([hash, Buffer.from('D')]), seq(1)]);
      await publisher.send(['sequence', Buffer.concat([hash, Buffer.from('A'), Buffer.alloc(8)]), seq(2)]);
      const got = await received(4);
      expect(got).toEqual([
        expect.objectContaining({
          type: 'block',
          topic: 'rawblock',
          hash: REGTEST_GENESIS_HASH,
          event: 'tip',
        }),
        expect.objectContaining({
          type: 'block',
          topic: 'sequence',
          hash: REGTEST_GENESIS_HASH,
          event: 'connect',
        }),
        expect.objectContaining({
          type: 'block',
          topic: 'sequence',
          hash: REGTEST_GENESIS_HASH,
          event: 'disconnect',
        }),
        expect.objectContaining({ type: 'mempool', sequence: 2 }),
      ]);
      expect(subscriber.stats().connected).toEqual([endpoint]);
    } finally {
      await node.stop();
    }
  });
});

describe('a lost block notice is caught by the gap it leaves', () => {
  let node: DevnetNode;
  let test: TestDatabase;

  beforeAll(async () => {
    node = await startDevnetNode();
    test = await createTestDatabase('postgres', { name: 'follower_gap' });
  });
  afterAll(async () => {
    await test?.close();
    await node?.stop();
  });

  it('indexes a block whose only notice was lost once the next message shows the gap', async () => {
    const wallet = createWallet('gap', { chain: node.chain });
    const miner = wallet.newAddress('p2wpkh').address;
    node.chain.generateToAddress(101, miner);
    // Only the `sequence` topic, whose mempool messages alone never start a round: a round after
    // the lost block's notice can only come from the gap.
    const zmq = new ZmqSubscriber({ endpoints: [node.zmqUrl!], topics: ['sequence'], logger });
    const follower = createChainFollower({
      db: test.db,
      rpc: new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl }),
      zmq,
      pools: loadPools(),
      logger,
      config: { pollIntervalMs: 600_000 },
    });
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    try {
      await waitFor(() => indexedTipHash(test.db), node.chain.tipHash());
      await waitFor(() => zmq.stats().connected.length, 1);
      // The rounds of start-up (and of the subscription's first message) are over.
      await waitFor(() => follower.status().idle, true);
      const pay = () => {
        const tx = wallet.send({ to: [{ address: wallet.newAddress('p2wpkh').address, value: 100_000n }] });
        node.chain.sendRawTransaction(tx.raw);
      };
      // Mempool entry (kept), then the block's `C` (dropped): the follower hears nothing it acts on.
      node.zmq!.dropEvery(2, 'sequence');
      pay();
      node.chain.generateToAddress(1, miner);
      await node.zmq!.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await indexedTipHash(test.db)).not.toBe(node.chain.tipHash());

      // The next mempool message arrives with a jump in its sequence number.
      pay();
      await waitFor(() => indexedTipHash(test.db), node.chain.tipHash(), 5000);
      expect(zmq.stats().gaps).toBeGreaterThan(0);
      expect(follower.status().rounds.timer).toBe(0);
    } finally {
      node.zmq!.dropEvery(0);
      controller.abort();
      await running;
      await zmq.close();
    }
  });
});
