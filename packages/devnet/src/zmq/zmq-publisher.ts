import { Publisher } from 'zeromq';
import type { ChainEvent, DevnetChain, StoredBlock } from '../chain/chain.types.js';
import { blockTransactions } from '../rpc/rpc-views.js';

/** The topics bitcoind publishes (`-zmqpub<topic>`). */
export const ZMQ_TOPICS = ['rawblock', 'hashblock', 'rawtx', 'hashtx', 'sequence'] as const;
export type ZmqTopic = (typeof ZMQ_TOPICS)[number];

/**
 * bitcoind's ZMQ notifications on one PUB socket: every message is three frames (topic, body,
 * 4-byte little-endian per-topic sequence number starting at 0).
 *
 * Order per connected block, as Core's `CZMQNotificationInterface`: `hashtx`/`rawtx` for each of its
 * transactions, `sequence <hash>C`, then `hashblock`/`rawblock`. A disconnected block gives
 * `hashtx`/`rawtx` for its transactions and `sequence <hash>D`, never `hashblock`/`rawblock`.
 * Mempool entry gives `hashtx`/`rawtx` and `sequence <txid>A<mempool seq>`; removal `…R…`.
 */
export interface ZmqPublisher {
  /** The endpoint actually bound (`tcp://127.0.0.1:<port>`), for subscribers to connect to. */
  readonly url: string;
  /** The sequence number the next message of each topic will carry. */
  counters(): Record<ZmqTopic, number>;
  /**
   * Test hook: skips sending every `n`th message (of `topic`, or of all topics) while still
   * consuming its sequence number, so subscribers see the gap a lost message leaves. 0 turns it off.
   */
  dropEvery(n: number, topic?: ZmqTopic): void;
  /** Test hook: sends every `n`th message (of `topic`, or of all) twice with the same sequence number. */
  duplicateEvery(n: number, topic?: ZmqTopic): void;
  /** Resolves once every message queued so far has been handed to the socket. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ZmqPublisherOptions {
  chain: DevnetChain;
  /** `tcp://host:port`; port 0 or `*` binds an ephemeral port. */
  endpoint: string;
}

interface EveryRule {
  n: number;
  topic: ZmqTopic | undefined;
  seen: number;
}

function seqFrame(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function mempoolSeqFrame(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

async function bindWithRetry(socket: Publisher, endpoint: string): Promise<void> {
  // A just-closed socket on the same port can take a moment to release it (restart tests).
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind(endpoint);
      return;
    } catch (err) {
      const inUse = err instanceof Error && /in use/i.test(err.message);
      if (!inUse || attempt >= 40) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function createZmqPublisher({ chain, endpoint }: ZmqPublisherOptions): Promise<ZmqPublisher> {
  const socket = new Publisher({ linger: 0 });
  await bindWithRetry(socket, endpoint.replace(/:0$/, ':*'));
  const url = socket.lastEndpoint ?? endpoint;

  const counters = Object.fromEntries(ZMQ_TOPICS.map((t) => [t, 0])) as Record<ZmqTopic, number>;
  let mempoolSequence = 1n;
  let drop: EveryRule | null = null;
  let duplicate: EveryRule | null = null;
  const queue: Buffer[][] = [];
  let draining: Promise<void> | null = null;
  let closed = false;

  const hits = (rule: EveryRule | null, topic: ZmqTopic): boolean => {
    if (!rule || (rule.topic !== undefined && rule.topic !== topic)) return false;
    rule.seen += 1;
    return rule.seen % rule.n === 0;
  };

  const drain = async () => {
    // zeromq allows one send in flight per socket; chain events arrive synchronously, so they queue.
    while (queue.length > 0 && !closed) {
      const frames = queue.shift()!;
      try {
        await socket.send(frames);
      } catch {
        // A closed or failing socket loses the message, exactly as ZMQ would; sequence numbers show it.
      }
    }
    draining = null;
  };

  const publish = (topic: ZmqTopic, body: Buffer) => {
    const seq = counters[topic];
    counters[topic] = (seq + 1) >>> 0;
    if (closed || hits(drop, topic)) return;
    const frames = [Buffer.from(topic), body, seqFrame(seq)];
    queue.push(frames);
    if (hits(duplicate, topic)) queue.push(frames);
    draining ??= drain();
  };

  const publishBlockTxs = (block: StoredBlock) => {
    const raws = splitTxs(block.raw);
    block.txids.forEach((txid, i) => {
      publish('hashtx', Buffer.from(txid, 'hex'));
      const raw = raws[i];
      if (raw) publish('rawtx', raw);
    });
  };

  const onEvent = (event: ChainEvent) => {
    switch (event.type) {
      case 'connect':
        publishBlockTxs(event.block);
        publish('sequence', Buffer.concat([Buffer.from(event.block.hash, 'hex'), Buffer.from('C')]));
        publish('hashblock', Buffer.from(event.block.hash, 'hex'));
        publish('rawblock', event.block.raw);
        break;
      case 'disconnect':
        publishBlockTxs(event.block);
        publish('sequence', Buffer.concat([Buffer.from(event.block.hash, 'hex'), Buffer.from('D')]));
        break;
      case 'mempool-add':
        publish('hashtx', Buffer.from(event.txid, 'hex'));
        publish('rawtx', event.raw);
        publish(
          'sequence',
          Buffer.concat([
            Buffer.from(event.txid, 'hex'),
            Buffer.from('A'),
            mempoolSeqFrame(mempoolSequence++),
          ]),
        );
        break;
      case 'mempool-remove':
        // bitcoind announces removals for every reason except inclusion in a block.
        if (event.reason === 'block') break;
        publish(
          'sequence',
          Buffer.concat([
            Buffer.from(event.txid, 'hex'),
            Buffer.from('R'),
            mempoolSeqFrame(mempoolSequence++),
          ]),
        );
        break;
    }
  };
  const unsubscribe = chain.subscribe(onEvent);

  const flush = async () => {
    while (draining) await draining;
  };

  return {
    url,
    counters: () => ({ ...counters }),
    dropEvery(n, topic) {
      drop = n > 0 ? { n, topic, seen: 0 } : null;
    },
    duplicateEvery(n, topic) {
      duplicate = n > 0 ? { n, topic, seen: 0 } : null;
    },
    flush,
    async close() {
      unsubscribe();
      if (closed) return;
      // Let already-queued messages go out (bounded), then close without lingering.
      await Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, 200))]);
      closed = true;
      queue.length = 0;
      socket.close();
    },
  };
}

/** Each transaction's bytes in a serialized block, in block order. */
function splitTxs(raw: Buffer): Buffer[] {
  return blockTransactions(raw).map((t) => Buffer.from(t.raw));
}
