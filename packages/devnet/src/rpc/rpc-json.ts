/**
 * JSON text as bitcoind prints it. Amounts are JSON numbers with exactly eight decimals
 * (`50.00000000`), which `JSON.stringify` cannot produce from a float; they are written from
 * bigint satoshis so no rounding ever happens.
 */

/** An amount to print in BTC; the value stays integer satoshis. */
export class BtcAmount {
  constructor(readonly sats: bigint) {}
}

export function btc(sats: bigint): BtcAmount {
  return new BtcAmount(sats);
}

/** `123456789n` → `1.23456789`, the way bitcoind's `ValueFromAmount` prints it. */
export function formatBtc(sats: bigint): string {
  const sign = sats < 0n ? '-' : '';
  const abs = sats < 0n ? -sats : sats;
  return `${sign}${abs / 100_000_000n}.${(abs % 100_000_000n).toString().padStart(8, '0')}`;
}

/** Serializes like `JSON.stringify`, except that `BtcAmount` becomes a fixed-point number. */
export function toJsonText(value: unknown): string {
  if (value instanceof BtcAmount) return formatBtc(value.sats);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object') {
    const members: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${toJsonText(member)}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
