import { NonRetryableError } from '../errors.js';
import type { Network } from './types.js';

/** Address prefixes of one network. */
export interface AddressParams {
  /** Base58 version byte of P2PKH addresses. */
  pubkeyHash: number;
  /** Base58 version byte of P2SH addresses. */
  scriptHash: number;
  /** Human-readable part of segwit addresses. */
  hrp: string;
}

const MAIN: AddressParams = { pubkeyHash: 0x00, scriptHash: 0x05, hrp: 'bc' };
const TEST: AddressParams = { pubkeyHash: 0x6f, scriptHash: 0xc4, hrp: 'tb' };
const REGTEST: AddressParams = { pubkeyHash: 0x6f, scriptHash: 0xc4, hrp: 'bcrt' };

export function addressParams(network: Network): AddressParams {
  switch (network) {
    case 'main':
      return MAIN;
    case 'test':
    case 'signet':
      return TEST;
    case 'regtest':
      return REGTEST;
  }
}

/** A `chain` name that is not one bitcoind reports. */
export class UnknownChainError extends NonRetryableError {
  override name = 'UnknownChainError';
}

/**
 * Maps bitcoind's `getblockchaininfo.chain` (main, test, testnet4, signet, regtest) to the
 * network whose address encodings apply. testnet3 and testnet4 are both `test`.
 */
export function networkFromChain(chain: string): Network {
  switch (chain) {
    case 'main':
      return 'main';
    case 'test':
    case 'testnet':
    case 'testnet3':
    case 'testnet4':
      return 'test';
    case 'signet':
      return 'signet';
    case 'regtest':
      return 'regtest';
    default:
      throw new UnknownChainError(
        `unknown chain '${chain}' (expected main, test, testnet4, signet or regtest)`,
      );
  }
}
