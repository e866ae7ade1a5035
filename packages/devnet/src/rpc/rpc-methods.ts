import { address as bitcoinAddress, networks, Transaction } from 'bitcoinjs-lib';
import { ChainError, type DevnetChain } from '../chain/chain.types.js';
import { RPC_CODES, RpcError } from './rpc-errors.js';
import type { Faults } from './rpc-faults.js';
import { btc } from './rpc-json.js';
import {
  blockTransactions,
  blockView,
  createAncestryCache,
  createPrevoutLookup,
  difficultyOf,
  headerView,
  scriptPubKeyView,
  txView,
} from './rpc-views.js';

/** The calls the devnet answers, by name; each takes the request's `params` (array or named object). */
export interface RpcMethods {
  /** Runs one call; throws `RpcError` with bitcoind's code and message when it fails. */
  call(method: string, params: unknown): unknown;
  has(method: string): boolean;
}

export interface RpcMethodsDeps {
  chain: DevnetChain;
  faults: Faults;
  /** When the node started (unix seconds), for `uptime`. */
  startedAt: number;
}

type Handler = (args: Args) => unknown;

interface MethodSpec {
  /** Parameter names, in positional order, for named-parameter requests. */
  args: string[];
  run: Handler;
}

/** Positional arguments after mapping named ones; null and absent both mean "omitted". */
interface Args {
  optional(i: number): unknown;
  int(i: number, fallback?: number): number;
  str(i: number, fallback?: string): string;
  /** A 64-hex-digit hash, lower-cased; -8 otherwise, with bitcoind's wording. */
  hash(i: number): string;
  /** A verbosity given as a number or a boolean, as several bitcoind calls accept. */
  level(i: number, fallback: number): number;
  /** Hex bytes; -22 with `failure` when the text is not hex. */
  hex(i: number, failure: string): Buffer;
}

function createArgs(values: unknown[], names: string[]): Args {
  const raw = (i: number): unknown => (values[i] === null ? undefined : values[i]);
  const missing = (i: number): never => {
    throw new RpcError(RPC_CODES.miscError, `Missing required argument: ${names[i] ?? i}`);
  };
  const typeError = (value: unknown, expected: string) =>
    new RpcError(
      RPC_CODES.typeError,
      `JSON value of type ${jsonType(value)} is not of expected type ${expected}`,
    );
  const int = (i: number, fallback?: number): number => {
    const value = raw(i);
    if (value === undefined) return fallback ?? missing(i);
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(value, 'number');
    return value;
  };
  const str = (i: number, fallback?: string): string => {
    const value = raw(i);
    if (value === undefined) return fallback ?? missing(i);
    if (typeof value !== 'string') throw typeError(value, 'string');
    return value;
  };
  return {
    optional: raw,
    int,
    str,
    hash(i) {
      const value = str(i);
      const name = names[i] ?? 'hash';
      if (value.length !== 64) {
        throw new RpcError(
          RPC_CODES.invalidParameter,
          `${name} must be of length 64 (not ${value.length}, for '${value}')`,
        );
      }
      if (!/^[0-9a-fA-F]+$/.test(value)) {
        throw new RpcError(RPC_CODES.invalidParameter, `${name} must be hexadecimal string (not '${value}')`);
      }
      return value.toLowerCase();
    },
    level(i, fallback) {
      const value = raw(i);
      if (value === undefined) return fallback;
      if (typeof value === 'boolean') return value ? 1 : 0;
      return int(i);
    },
    hex(i, failure) {
      const value = str(i);
      if (value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) {
        throw new RpcError(RPC_CODES.deserializationError, failure);
      }
      return Buffer.from(value, 'hex');
    },
  };
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value;
}

function validAddress(address: string): boolean {
  try {
    bitcoinAddress.toOutputScript(address, networks.regtest);
    return true;
  } catch {
    return false;
  }
}

/** Builds the method table over `chain`; chain refusals become RPC errors with their codes. */
export function createRpcMethods({ chain, faults, startedAt }: RpcMethodsDeps): RpcMethods {
  const ancestry = createAncestryCache(chain);
  const lookup = createPrevoutLookup(chain);

  const blockOr404 = (hash: string) => {
    const block = chain.getBlock(hash);
    if (!block) throw new RpcError(RPC_CODES.invalidAddressOrKey, 'Block not found');
    return block;
  };

  const requireAddress = (address: string) => {
    if (!validAddress(address)) throw new RpcError(RPC_CODES.invalidAddressOrKey, 'Error: Invalid address');
  };

  const methods: Record<string, MethodSpec> = {
    getblockchaininfo: {
      args: [],
      run: () => {
        const tip = blockOr404(chain.tipHash());
        return {
          chain: 'regtest',
          blocks: chain.tipHeight(),
          headers: chain.tipHeight(),
          bestblockhash: tip.hash,
          difficulty: difficultyOf(tip.bits),
          time: tip.time,
          mediantime: ancestry.medianTime(tip),
          verificationprogress: 1,
          initialblockdownload: false,
          chainwork: ancestry.chainwork(tip).toString(16).padStart(64, '0'),
          size_on_disk: 0,
          pruned: false,
          warnings: [],
        };
      },
    },
    getbestblockhash: { args: [], run: () => chain.tipHash() },
    getblockcount: { args: [], run: () => chain.tipHeight() },
    getblockhash: {
      args: ['height'],
      run: (a) => {
        const height = a.int(0);
        const hash = height < 0 ? undefined : chain.hashAtHeight(height);
        if (hash === undefined) throw new RpcError(RPC_CODES.invalidParameter, 'Block height out of range');
        return hash;
      },
    },
    getblockheader: {
      args: ['blockhash', 'verbose'],
      run: (a) => {
        const block = blockOr404(a.hash(0));
        if (a.level(1, 1) === 0) return block.raw.subarray(0, 80).toString('hex');
        return headerView(chain, ancestry, block);
      },
    },
    getblock: {
      args: ['blockhash', 'verbosity'],
      run: (a) => {
        const block = blockOr404(a.hash(0));
        const verbosity = a.level(1, 1);
        if (verbosity <= 0) return faults.blockBytes(block.hash, block.raw).toString('hex');
        return blockView(chain, ancestry, block, verbosity >= 3 ? 3 : (verbosity as 1 | 2), lookup);
      },
    },
    getchaintips: { args: [], run: () => chain.chainTips() },
    getrawtransaction: {
      args: ['txid', 'verbose', 'blockhash'],
      run: (a) => {
        const txid = a.hash(0);
        const verbosity = a.level(1, 0);
        const blockhash = a.optional(2) === undefined ? undefined : a.hash(2);
        let raw: Buffer;
        let containing = undefined as ReturnType<DevnetChain['getBlock']>;
        if (blockhash !== undefined) {
          const block = chain.getBlock(blockhash);
          if (!block) throw new RpcError(RPC_CODES.invalidAddressOrKey, 'Block hash not found');
          const index = block.txids.indexOf(txid);
          const found = index < 0 ? undefined : blockTransactions(block.raw)[index];
          if (!found) {
            throw new RpcError(
              RPC_CODES.invalidAddressOrKey,
              'No such transaction found in the provided block. Use gettransaction for wallet transactions.',
            );
          }
          raw = Buffer.from(found.raw);
          containing = block;
        } else {
          const found = chain.getTransaction(txid);
          if (!found) {
            throw new RpcError(
              RPC_CODES.invalidAddressOrKey,
              'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.',
            );
          }
          raw = found.raw;
          containing = found.blockhash === undefined ? undefined : chain.getBlock(found.blockhash);
        }
        if (verbosity === 0) return raw.toString('hex');
        const view = txView(Transaction.fromBuffer(raw), raw, verbosity >= 2 ? lookup : null, verbosity >= 2);
        return {
          in_active_chain: blockhash !== undefined ? containing?.active : undefined,
          ...view,
          blockhash: containing?.hash,
          confirmations: containing ? Math.max(chain.confirmations(containing.hash), 0) : undefined,
          time: containing?.time,
          blocktime: containing?.time,
        };
      },
    },
    sendrawtransaction: {
      args: ['hexstring', 'maxfeerate'],
      run: (a) =>
        chain.sendRawTransaction(a.hex(0, 'TX decode failed. Make sure the tx has at least one input.')),
    },
    getrawmempool: { args: ['verbose'], run: () => chain.mempoolTxids() },
    getmempoolentry: {
      args: ['txid'],
      run: (a) => {
        const entry = chain.mempoolEntry(a.hash(0));
        if (!entry) throw new RpcError(RPC_CODES.invalidAddressOrKey, 'Transaction not in mempool');
        return {
          vsize: entry.vsize,
          weight: entry.weight,
          time: entry.time,
          height: entry.height,
          fees: {
            base: btc(entry.fee),
            modified: btc(entry.fee),
            ancestor: btc(entry.fee),
            descendant: btc(entry.fee),
          },
          depends: entry.depends,
          wtxid: entry.wtxid,
        };
      },
    },
    gettxout: {
      args: ['txid', 'n', 'include_mempool'],
      run: (a) => {
        const includeMempool = a.optional(2) !== false;
        const utxo = chain.getTxOut(a.hash(0), a.int(1), includeMempool);
        if (!utxo) return null;
        return {
          bestblock: chain.tipHash(),
          confirmations: utxo.height === undefined ? 0 : chain.tipHeight() - utxo.height + 1,
          value: btc(utxo.value),
          scriptPubKey: scriptPubKeyView(utxo.script),
          coinbase: utxo.coinbase,
        };
      },
    },
    getmempoolinfo: {
      args: [],
      run: () => ({ loaded: true, size: chain.mempoolTxids().length }),
    },
    gettxoutsetinfo: {
      args: ['hash_type'],
      run: () => {
        const info = chain.utxoSetInfo();
        return {
          height: info.height,
          bestblock: info.bestblock,
          txouts: info.txouts,
          total_amount: btc(info.totalAmountSats),
        };
      },
    },
    setmocktime: {
      args: ['timestamp'],
      run: (a) => {
        const time = a.int(0);
        if (time < 0) throw new RpcError(RPC_CODES.invalidParameter, 'Mocktime cannot be negative: ' + time);
        chain.setMockTime(time);
        return null;
      },
    },
    getnetworkinfo: {
      args: [],
      run: () => ({
        version: 280000,
        subversion: '/Satoshi:28.0.0/',
        protocolversion: 70016,
        localservices: '0000000000000c09',
        localservicesnames: ['NETWORK', 'WITNESS', 'NETWORK_LIMITED', 'P2P_V2'],
        localrelay: true,
        timeoffset: 0,
        networkactive: true,
        connections: 0,
        connections_in: 0,
        connections_out: 0,
        networks: [],
        relayfee: btc(1000n),
        incrementalfee: btc(1000n),
        localaddresses: [],
        warnings: [],
      }),
    },
    uptime: { args: [], run: () => Math.floor(Date.now() / 1000) - startedAt },
    ping: { args: [], run: () => null },
    generatetoaddress: {
      args: ['nblocks', 'address', 'maxtries'],
      run: (a) => {
        const n = a.int(0);
        const address = a.str(1);
        requireAddress(address);
        return chain.generateToAddress(n, address);
      },
    },
    generateblock: {
      args: ['output', 'transactions', 'submit'],
      run: (a) => {
        const output = a.str(0);
        requireAddress(output);
        const listed = a.optional(1) ?? [];
        if (!Array.isArray(listed)) {
          throw new RpcError(RPC_CODES.typeError, 'JSON value of type object is not of expected type array');
        }
        if (a.optional(2) === false) {
          throw new RpcError(RPC_CODES.invalidParameter, 'submit=false is not supported by the devnet');
        }
        const mempool = new Set(chain.mempoolTxids());
        const raws = listed.map((item) => {
          if (typeof item !== 'string') {
            throw new RpcError(RPC_CODES.typeError, 'transactions must be hex strings or txids');
          }
          if (item.length === 64 && mempool.has(item.toLowerCase())) {
            return chain.getTransaction(item.toLowerCase())!.raw;
          }
          if (!/^([0-9a-fA-F]{2})+$/.test(item)) {
            throw new RpcError(RPC_CODES.deserializationError, `Transaction decode failed for ${item}`);
          }
          return Buffer.from(item, 'hex');
        });
        return { hash: chain.generateBlock(output, raws) };
      },
    },
    submitblock: {
      args: ['hexdata', 'dummy'],
      run: (a) => chain.submitBlock(a.hex(0, 'Block decode failed')),
    },
    invalidateblock: {
      args: ['blockhash'],
      run: (a) => {
        chain.invalidateBlock(blockOr404(a.hash(0)).hash);
        return null;
      },
    },
    reconsiderblock: {
      args: ['blockhash'],
      run: (a) => {
        chain.reconsiderBlock(blockOr404(a.hash(0)).hash);
        return null;
      },
    },
  };

  return {
    has: (method) => Object.hasOwn(methods, method),
    call(method, params) {
      if (faults.get().warmup) throw new RpcError(RPC_CODES.inWarmup, 'Loading block index...');
      const spec = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!spec) throw new RpcError(RPC_CODES.methodNotFound, 'Method not found');
      let positional: unknown[];
      if (params === undefined || params === null) positional = [];
      else if (Array.isArray(params)) positional = params;
      else if (typeof params === 'object') {
        const named = params as Record<string, unknown>;
        for (const key of Object.keys(named)) {
          if (!spec.args.includes(key)) {
            throw new RpcError(RPC_CODES.invalidParameter, `Unknown named parameter ${key}`);
          }
        }
        positional = spec.args.map((name) => named[name]);
      } else {
        throw new RpcError(RPC_CODES.invalidRequest, 'Params must be an array or object');
      }
      try {
        return spec.run(createArgs(positional, spec.args));
      } catch (err) {
        if (err instanceof RpcError) throw err;
        if (err instanceof ChainError) throw new RpcError(err.code, err.message, { cause: err });
        throw new RpcError(RPC_CODES.miscError, err instanceof Error ? err.message : String(err), {
          cause: err,
        });
      }
    },
  };
}
