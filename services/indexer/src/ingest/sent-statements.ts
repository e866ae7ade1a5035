/**
 * Statements of one transaction sent without waiting for their answers: the connection runs them in
 * the order they were sent. Every one must have settled before the transaction ends, else the
 * rollback could overtake those still queued (they would then run outside it).
 */
export class SentStatements {
  readonly #sent: Promise<unknown>[] = [];

  /** Keeps `statement` to wait for; it counts as handled until then. */
  add<T>(statement: Promise<T>): Promise<T> {
    statement.catch(() => {});
    this.#sent.push(statement);
    return statement;
  }

  /** Waits for every statement sent; rejects with the first that failed. */
  async settle(): Promise<void> {
    for (const statement of this.#sent) await statement;
  }

  /**
   * Waits for every statement sent and returns the error of the first that failed, if any: the cause,
   * as every later one then fails only because the transaction is aborted.
   */
  async firstFailure(): Promise<unknown> {
    const outcomes = await Promise.allSettled(this.#sent);
    return outcomes.find((outcome) => outcome.status === 'rejected')?.reason;
  }
}
