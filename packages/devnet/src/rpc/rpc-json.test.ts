import { describe, expect, it } from 'vitest';
import { btc, formatBtc, toJsonText } from './rpc-json.js';

describe('formatBtc', () => {
  it('prints satoshis as BTC with exactly eight decimals', () => {
    expect(formatBtc(0n)).toBe('0.00000000');
    expect(formatBtc(1n)).toBe('0.00000001');
    expect(formatBtc(5_000_000_000n)).toBe('50.00000000');
    // 21M BTC minus one satoshi: beyond float precision at 8 decimals.
    expect(formatBtc(2_099_999_999_999_999n)).toBe('20999999.99999999');
    expect(formatBtc(-150n)).toBe('-0.00000150');
  });
});

describe('toJsonText', () => {
  it('writes amounts as bare numbers and everything else as JSON.stringify would', () => {
    const value = { a: btc(123_456_789n), b: [1, 'x', null, true], c: undefined, d: { e: 'q"' } };
    const text = toJsonText(value);
    expect(text).toBe('{"a":1.23456789,"b":[1,"x",null,true],"d":{"e":"q\\""}}');
    expect(JSON.parse(text)).toEqual({ a: 1.23456789, b: [1, 'x', null, true], d: { e: 'q"' } });
  });
});
