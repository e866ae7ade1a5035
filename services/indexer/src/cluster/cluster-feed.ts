import { type BlockRows, scriptTypeCode } from '@minetrace/shared/chain';

/**
 * What clustering reads of one block, as the batch that wrote it knew it: each non-coinbase transaction
 * with two or more inputs (only those can merge anything), its resolved inputs' prevouts (value, script
 * type, address id) in input order and its outputs in position order. Inputs whose prevout the database
 * does not hold are absent, as they are from the stored rows.
 *
 * Numbers, not bigints or objects: a block keeps a few flat arrays (values stay below 2^53 satoshis,
 * ids far below it) until clustering reads it, several batches later. Address id -1 stands for none.
 */
export interface ClusterBlockIo {
  readonly height: number;
  readonly hash: Buffer;
  /** max(reorgs.id) in the transaction that wrote the block (0 when there was none). */
  readonly reorgMark: bigint;
  /** `txs.id` of each transaction kept, ascending. */
  readonly txIds: readonly bigint[];
  /** Inputs of transaction i are entries `inStart[i]..inStart[i + 1]`. */
  readonly inStart: readonly number[];
  readonly inValue: readonly number[];
  readonly inType: readonly number[];
  readonly inAddress: readonly number[];
  /** Outputs of transaction i are entries `outStart[i]..outStart[i + 1]`. */
  readonly outStart: readonly number[];
  readonly outValue: readonly number[];
  readonly outType: readonly number[];
  readonly outAddress: readonly number[];
  /**
   * Every address whose id is this or higher was first seen in this block or a later one (ids are
   * taken in first-seen order, and a rollback's are never given again); Infinity when the write did
   * not know where the ids of later addresses start.
   */
  readonly firstAddressId: number;
}

/**
 * Blocks kept at most: bounds memory when clustering lags or does not run. Once full, newer blocks
 * are not kept (the oldest are the ones clustering reads next; they leave as it clusters them).
 */
const DEFAULT_CAPACITY = 64;

/**
 * The blocks a process wrote, kept for clustering them once final: the batch's write knows every
 * spent prevout's value, script type and address (it marked the spends), and reading them back through
 * the spender index costs Postgres a random heap read per input, the largest read of a backfill.
 *
 * Why it can be trusted: a block enters only when the transaction that wrote it has committed
 * (`stage` inside it, `commit` after it), with the highest `reorgs.id` that transaction saw (it held
 * the tip's lock, which every rollback takes too). Clustering uses a block only when the database
 * still holds its hash at its height and no `reorgs` row was added since: any rollback logs one, so
 * the rows are the very rows written. Anything else (a rebuild from height 0, another process's
 * blocks, a block not kept while the feed was full) is read from the database as before. A writer
 * that does not wait for its commits clears the feed after a failure: a commit lost in a crash logs
 * no rollback.
 */
export class ClusterFeed {
  private readonly blocks = new Map<number, ClusterBlockIo>();
  private staged: ClusterBlockIo[] = [];
  /**
   * Chunks answered from kept blocks, and chunks read from the database while blocks were kept;
   * `unread`: inputs of kept blocks whose address's stored cluster was not read, the address being
   * first seen within the blocks clustered (`ClusterBlockIo.firstAddressId`).
   */
  readonly stats = { hits: 0, misses: 0, invalidated: 0, unread: 0 };

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Holds a block written by the transaction in flight, until `commit` or `discard`. */
  stage(block: ClusterBlockIo): void {
    this.staged.push(block);
  }

  /** The transaction that staged blocks committed: they may be read (while there is room). */
  commit(): void {
    for (const block of this.staged) {
      if (this.blocks.size < this.capacity || this.blocks.has(block.height))
        this.blocks.set(block.height, block);
    }
    this.staged = [];
  }

  /** The transaction that staged blocks failed: they were never written. */
  discard(): void {
    this.staged = [];
  }

  /** The kept blocks `first..last`, or undefined unless every one is kept. */
  range(first: number, last: number): ClusterBlockIo[] | undefined {
    const found: ClusterBlockIo[] = [];
    for (let height = first; height <= last; height++) {
      const block = this.blocks.get(height);
      if (block === undefined) {
        if (this.blocks.size > 0) this.stats.misses += 1;
        return undefined;
      }
      found.push(block);
    }
    return found;
  }

  /** Forgets blocks at or below `height` (clustered: never read again unless rebuilt from the database). */
  prune(height: number): void {
    for (const kept of this.blocks.keys()) if (kept <= height) this.blocks.delete(kept);
  }

  /** Forgets everything: what was kept no longer matches the database. */
  clear(): void {
    this.blocks.clear();
    this.stats.invalidated += 1;
  }

  get size(): number {
    return this.blocks.size;
  }
}

/**
 * Builds the `ClusterBlockIo` of a batch's blocks from the write's resolved spends. Every multi-input
 * transaction of the batch gets one slot per input; the write fills the slots of the inputs it
 * resolved (`spend`), then `finish` keeps, per block, the filled ones in input order.
 */
export class ClusterIoBuilder {
  /** Per tx of the batch (by id - first id): its first slot, or -1 when it is not kept. */
  private readonly slotOf: Int32Array;
  private readonly value: Float64Array;
  private readonly type: Uint8Array;
  private readonly address: Float64Array;

  constructor(
    private readonly blocks: readonly { height: number; rows: BlockRows; txIds: readonly bigint[] }[],
  ) {
    const txCount = blocks.reduce((n, block) => n + block.rows.txs.length, 0);
    this.slotOf = new Int32Array(txCount).fill(-1);
    let slots = 0;
    let t = 0;
    for (const block of blocks) {
      for (const tx of block.rows.txs) {
        if (!tx.isCoinbase && tx.inputs.length >= 2) {
          this.slotOf[t] = slots;
          slots += tx.inputs.length;
        }
        t += 1;
      }
    }
    // -1: not resolved (yet).
    this.value = new Float64Array(slots).fill(-1);
    this.type = new Uint8Array(slots);
    this.address = new Float64Array(slots);
  }

  /** Input `input` of the batch's tx at `at` (its id less the first id) spent this prevout. */
  spend(at: number, input: number, value: bigint, scriptType: number, addressId: bigint | null): void {
    const first = this.slotOf[at]!;
    if (first < 0) return;
    this.value[first + input] = Number(value);
    this.type[first + input] = scriptType;
    this.address[first + input] = addressId === null ? -1 : Number(addressId);
  }

  /**
   * The blocks' `ClusterBlockIo`, outputs' address ids from `addressIds`; `firstAddressIds[i]` is
   * block i's `firstAddressId`.
   */
  finish(
    reorgMark: bigint,
    addressIds: ReadonlyMap<string, bigint>,
    firstAddressIds: readonly number[],
  ): ClusterBlockIo[] {
    let t = 0;
    return this.blocks.map((block, b) => {
      const io = {
        firstAddressId: firstAddressIds[b]!,
        height: block.height,
        hash: block.rows.header.hash,
        reorgMark,
        txIds: [] as bigint[],
        inStart: [0],
        inValue: [] as number[],
        inType: [] as number[],
        inAddress: [] as number[],
        outStart: [0],
        outValue: [] as number[],
        outType: [] as number[],
        outAddress: [] as number[],
      };
      block.rows.txs.forEach((tx, i) => {
        const first = this.slotOf[t++]!;
        if (first < 0) return;
        io.txIds.push(block.txIds[i]!);
        for (let slot = first; slot < first + tx.inputs.length; slot++) {
          if (this.value[slot]! < 0) continue;
          io.inValue.push(this.value[slot]!);
          io.inType.push(this.type[slot]!);
          io.inAddress.push(this.address[slot]!);
        }
        io.inStart.push(io.inValue.length);
        for (const out of tx.outputs) {
          io.outValue.push(Number(out.value));
          io.outType.push(scriptTypeCode(out.scriptType));
          const id = out.address === null ? undefined : addressIds.get(out.address);
          io.outAddress.push(id === undefined ? -1 : Number(id));
        }
        io.outStart.push(io.outValue.length);
      });
      return io;
    });
  }
}
