/**
 * A cache keyed by a query's text, bounded by its number of entries and by the length of the texts
 * it keeps; the oldest entry goes first. A parsed document takes some fifty times the memory of its
 * text, so a count alone let a stream of distinct large queries (bodies run to 256 KiB) hold
 * gigabytes. Texts longer than `maxKeyChars` are not kept at all: they are parsed each time.
 */
export class QueryTextCache<V> {
  readonly #entries = new Map<string, V>();
  #chars = 0;

  constructor(
    readonly maxEntries = 1024,
    readonly maxChars = 1024 * 1024,
    readonly maxKeyChars = 16 * 1024,
  ) {}

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyChars) return;
    if (this.#entries.has(key)) {
      this.#entries.set(key, value);
      return;
    }
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.maxEntries || this.#chars + key.length > this.maxChars)
    ) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#chars -= oldest.length;
    }
    this.#entries.set(key, value);
    this.#chars += key.length;
  }

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Characters of the texts kept. */
  get chars(): number {
    return this.#chars;
  }
}
