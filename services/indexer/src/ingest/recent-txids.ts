/** Transactions kept at most: about 64 mainnet blocks. */
const DEFAULT_CAPACITY = 200_000;
/**
 * Batches kept at most: a txid not kept is looked for in each, and at the tip every block is a batch
 * of its own.
 */
const MAX_BATCHES = 16;

/**
 * The txids of the last batches one writer committed, with their `txs.id`: most inputs spend recent
 * outputs, and finding their txs here spares the indexed lookup of their txids (a random descent of
 * the txid index per prevout tx).
 *
 * Why it can be trusted: a batch's txids enter only once its transaction has committed (`stage`
 * inside it, `commit` after), together with the tip it left and the highest `reorgs.id` it saw. The
 * next batch (`validate`, in its own transaction, holding the tip's lock) uses them only if the
 * database's tip is still that one and no rollback was logged since: then no other writer wrote or
 * removed a transaction in between, and the txids name exactly the rows they named (a duplicated txid
 * resolves to the latest, as the lookup's max(id) does). Otherwise everything kept is dropped.
 */
export class RecentTxids {
  /** Newest last. */
  private batches: Map<string, bigint>[] = [];
  private kept = 0;
  private left: { hash: Buffer; reorgMark: bigint } | null = null;
  private staged: { ids: Map<string, bigint>; hash: Buffer; reorgMark: bigint } | null = null;
  readonly stats = { found: 0, missed: 0, invalidated: 0 };

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /**
   * In a batch's transaction, before reading: true when what is kept still names the database's
   * rows (its tip is the one the last commit left, and no rollback since); otherwise forgets it all.
   */
  validate(tipHash: Buffer | null, reorgMark: bigint): boolean {
    if (this.left === null) return false;
    if (tipHash?.equals(this.left.hash) && reorgMark === this.left.reorgMark) return true;
    this.clear();
    this.stats.invalidated += 1;
    return false;
  }

  /** The latest `txs.id` of `txid` (hex) among the batches kept (counted as found or missed). */
  get(txid: string): bigint | undefined {
    for (let i = this.batches.length - 1; i >= 0; i--) {
      const id = this.batches[i]!.get(txid);
      if (id !== undefined) {
        this.stats.found += 1;
        return id;
      }
    }
    this.stats.missed += 1;
    return undefined;
  }

  /** The batch in flight wrote these txs, leaving the tip at `hash`. */
  stage(ids: Map<string, bigint>, hash: Buffer, reorgMark: bigint): void {
    this.staged = { ids, hash, reorgMark };
  }

  /** Its transaction committed: its txids may be read by the next batch. */
  commit(): void {
    if (this.staged === null) return;
    this.batches.push(this.staged.ids);
    this.kept += this.staged.ids.size;
    this.left = { hash: this.staged.hash, reorgMark: this.staged.reorgMark };
    this.staged = null;
    while ((this.kept > this.capacity && this.batches.length > 1) || this.batches.length > MAX_BATCHES) {
      this.kept -= this.batches.shift()!.size;
    }
  }

  /** Its transaction failed. */
  discard(): void {
    this.staged = null;
  }

  clear(): void {
    this.batches = [];
    this.kept = 0;
    this.left = null;
  }
}
