/**
 * Faults a test can switch on to see how a client copes with a misbehaving node.
 * All are off by default; `set` merges, `clear` turns everything off.
 */
export interface FaultSettings {
  /** Every RPC call answers -28 "Loading block index..." and REST answers 503, as during start-up. */
  warmup: boolean;
  /** The next `busy` HTTP requests (RPC or REST) answer 503, as when `-rpcworkqueue` is full. */
  busy: number;
  /**
   * Display-order hash of a block whose bytes `getblock <hash> 0` and REST serve cut in half,
   * so decoding them fails.
   */
  malformedBlock: string | null;
}

export interface Faults {
  set(settings: Partial<FaultSettings>): void;
  clear(): void;
  get(): Readonly<FaultSettings>;
  /** Consumes one `busy` token; true when this request must be refused with 503. */
  takeBusy(): boolean;
  /** The bytes to serve for a block: `raw`, or a truncated copy when that block is marked malformed. */
  blockBytes(hash: string, raw: Buffer): Buffer;
}

const NO_FAULTS: FaultSettings = { warmup: false, busy: 0, malformedBlock: null };

export function createFaults(): Faults {
  let settings: FaultSettings = { ...NO_FAULTS };
  return {
    set(partial) {
      settings = { ...settings, ...partial };
    },
    clear() {
      settings = { ...NO_FAULTS };
    },
    get() {
      return settings;
    },
    takeBusy() {
      if (settings.busy <= 0) return false;
      settings = { ...settings, busy: settings.busy - 1 };
      return true;
    },
    blockBytes(hash, raw) {
      if (settings.malformedBlock !== hash) return raw;
      return raw.subarray(0, Math.floor(raw.length / 2));
    },
  };
}
