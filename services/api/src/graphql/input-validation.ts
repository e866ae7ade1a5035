import { checkAddress, type Network } from '@minetrace/shared/chain';
import { badInput } from './errors.js';

/** Parses a txid or block hash given in display hex; BAD_USER_INPUT with the reason otherwise. */
export function parseHash(value: string, what: 'txid' | 'block hash'): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    throw badInput(`${what} must be 64 hexadecimal characters, got ${describe(value)}`);
  }
  return Buffer.from(value.toLowerCase(), 'hex');
}

/**
 * Checks that `value` is an address of `network` (see `checkAddress`) and returns it in the form the
 * indexer stores; BAD_USER_INPUT with the reason otherwise. `network` null (nothing indexed yet)
 * accepts any network's.
 */
export function parseAddress(value: string, network: Network | null): string {
  const checked = checkAddress(value, network);
  if (!checked.ok) throw badInput(checked.message);
  return checked.address;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** Parses a database id given as a GraphQL ID (a decimal integer). */
export function parseId(value: string, what: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw badInput(`${what} must be a decimal id, got ${describe(value)}`);
  return BigInt(value);
}
