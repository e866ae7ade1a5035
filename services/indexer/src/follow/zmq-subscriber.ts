import { sha256d } from '@minetrace/shared/chain';
import type { Logger } from '@minetrace/shared/log';
import { Subscriber } from 'zeromq';

/** The topics the follower listens to: each announces a new tip (or, for `sequence`, a disconnect). */
export const BLOCK_TOPICS = ['sequence', 'hashblock', 'rawblock'] as const;
export type BlockTopic = (typeof BLOCK_TOPICS)[number];

/**
 * What the subscriber reports, tagged by `type`. Any of them may be a reason to reconcile except
 * `mempool` (the `sequence` topic's tx traffic) and `duplicate`.
 *
 * - `block`: `hashblock`/`rawblock` announced a new tip, or `sequence` a connect (`C`) or disconnect (`D`).
 * - `gap`: a topic's sequence number jumped (messages lost) or went backwards (reordered, or the
 *   node restarted and counts from 0 again); what was lost is unknown, so reconcile.
 * - `duplicate`: the same sequence number twice in a row; ignored by the follower.
 * - `connected` / `disconnected`: the socket's connection to `endpoint`; messages sent while
 *   disconnected are lost without a gap the subscriber could see until the next one arrives.
 */
export type ZmqNotice =
  | {
      type: 'block';
      endpoint: string;
      topic: BlockTopic;
      hash: string;
      event: 'tip' | 'connect' | 'disconnect';
      sequence: number;
    }
  | { type: 'mempool'; endpoint: string; sequence: number }
  | { type: 'gap'; endpoint: string; topic: BlockTopic; expected: number; received: number }
  | { type: 'duplicate'; endpoint: string; topic: BlockTopic; sequence: number }
  | { type: 'connected'; endpoint: string }
  | { type: 'disconnected'; endpoint: string };

/** Counters for `/health` and tests. */
export interface ZmqStats {
  endpoints: string[];
  /** Endpoints whose socket reports a live connection. */
  connected: string[];
  messages: number;
  gaps: number;
  duplicates: number;
}

export interface ZmqSubscriberOptions {
  /** One or more `tcp://host:port` endpoints; each gets its own socket, so sequence numbers stay per publisher. */
  endpoints: string[];
  /** Topics to subscribe to; any subset works, since every notice only starts a round. @defaultValue BLOCK_TOPICS */
  topics?: readonly BlockTopic[];
  logger: Logger;
}

/**
 * Subscribes to bitcoind's block topics on every endpoint and reports each message as a
 * `ZmqNotice`, tracking the last sequence number per endpoint and topic to tell lost, repeated and
 * reordered messages apart. It never trusts a message's content beyond its hash: the follower
 * asks the node over RPC what its best chain is. ZMQ reconnects by itself; so does this.
 */
export class ZmqSubscriber {
  readonly #endpoints: string[];
  readonly #topics: readonly BlockTopic[];
  readonly #logger: Logger;
  readonly #sockets: Subscriber[] = [];
  readonly #lastSequence = new Map<string, number>();
  readonly #connected = new Set<string>();
  #messages = 0;
  #gaps = 0;
  #duplicates = 0;
  #closed = false;
  #loops: Promise<void>[] = [];

  constructor(options: ZmqSubscriberOptions) {
    if (options.endpoints.length === 0) throw new Error('ZmqSubscriber needs at least one endpoint');
    this.#endpoints = [...options.endpoints];
    this.#topics = options.topics ?? BLOCK_TOPICS;
    this.#logger = options.logger.child({ component: 'zmq' });
  }

  /** Connects every endpoint and calls `onNotice` for each notice until `close()`. */
  start(onNotice: (notice: ZmqNotice) => void): void {
    if (this.#sockets.length > 0 || this.#closed)
      throw new Error('ZmqSubscriber.start: already started or closed');
    for (const endpoint of this.#endpoints) {
      // A small receive queue is enough: one message is a reason to reconcile, and a dropped one
      // shows up as a sequence gap, which is a reason too.
      const socket = new Subscriber({ linger: 0, receiveHighWaterMark: 1000 });
      for (const topic of this.#topics) socket.subscribe(topic);
      socket.events.on('connect', () => {
        this.#connected.add(endpoint);
        onNotice({ type: 'connected', endpoint });
      });
      socket.events.on('disconnect', () => {
        this.#connected.delete(endpoint);
        onNotice({ type: 'disconnected', endpoint });
      });
      socket.connect(endpoint);
      this.#sockets.push(socket);
      this.#loops.push(this.#receive(socket, endpoint, onNotice));
    }
  }

  stats(): ZmqStats {
    return {
      endpoints: [...this.#endpoints],
      connected: [...this.#connected],
      messages: this.#messages,
      gaps: this.#gaps,
      duplicates: this.#duplicates,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) socket.close();
    await Promise.allSettled(this.#loops);
  }

  async #receive(socket: Subscriber, endpoint: string, onNotice: (notice: ZmqNotice) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        for (const notice of this.#read(endpoint, frames)) onNotice(notice);
      }
    } catch (err) {
      if (!this.#closed) this.#logger.error({ err, endpoint }, 'ZMQ receive loop ended');
    }
  }

  /** Turns one three-frame message into notices: a gap or duplicate first, then what it announced. */
  #read(endpoint: string, frames: Buffer[]): ZmqNotice[] {
    const [topicFrame, body, seqFrame] = frames;
    const topic = topicFrame?.toString('latin1') as BlockTopic | undefined;
    if (topic === undefined || !BLOCK_TOPICS.includes(topic) || body === undefined) return [];
    if (seqFrame === undefined || seqFrame.length !== 4) {
      this.#logger.debug({ endpoint, topic }, 'ZMQ message without a sequence number');
      return [];
    }
    this.#messages += 1;
    const sequence = seqFrame.readUInt32LE(0);
    const key = `${endpoint} ${topic}`;
    const last = this.#lastSequence.get(key);
    const notices: ZmqNotice[] = [];
    if (last !== undefined) {
      if (sequence === last) {
        this.#duplicates += 1;
        return [{ type: 'duplicate', endpoint, topic, sequence }];
      }
      const expected = (last + 1) >>> 0;
      if (sequence !== expected) {
        this.#gaps += 1;
        notices.push({ type: 'gap', endpoint, topic, expected, received: sequence });
      }
    }
    this.#lastSequence.set(key, sequence);

    const announced = announcedBlock(topic, body);
    if (announced === 'mempool') notices.push({ type: 'mempool', endpoint, sequence });
    else if (announced !== null) notices.push({ type: 'block', endpoint, topic, sequence, ...announced });
    return notices;
  }
}

/** The block hash (display hex) a message is about, `mempool` for tx traffic, null when unreadable. */
function announcedBlock(
  topic: BlockTopic,
  body: Buffer,
): { hash: string; event: 'tip' | 'connect' | 'disconnect' } | 'mempool' | null {
  switch (topic) {
    case 'hashblock':
      return body.length === 32 ? { hash: body.toString('hex'), event: 'tip' } : null;
    case 'rawblock':
      // The hash of the 80-byte header, reversed for display, is the block's hash.
      return body.length >= 80 ? { hash: headerHash(body.subarray(0, 80)), event: 'tip' } : null;
    case 'sequence': {
      if (body.length < 33) return null;
      const label = String.fromCharCode(body[32]!);
      if (label === 'C') return { hash: body.subarray(0, 32).toString('hex'), event: 'connect' };
      if (label === 'D') return { hash: body.subarray(0, 32).toString('hex'), event: 'disconnect' };
      return 'mempool';
    }
  }
}

function headerHash(header: Buffer): string {
  return Buffer.from(sha256d(header)).reverse().toString('hex');
}
