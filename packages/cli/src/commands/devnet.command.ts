import type { SCENARIO_NAMES as DEVNET_SCENARIOS } from '@minetrace/devnet';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

/**
 * The devnet's scenarios, spelled out so that `--help` does not load the devnet; `satisfies` makes
 * any difference from `SCENARIO_NAMES` of `@minetrace/devnet` (a name, the order) a compile error.
 */
const SCENARIO_NAMES = ['demo', 'mainnet-like'] as const satisfies typeof DEVNET_SCENARIOS;

/** The options of `minetrace devnet`, as commander hands them over. */
export interface DevnetOptions {
  scenario: string;
  seed: string;
  rpcPort: number;
  rpcUser?: string;
  rpcPassword?: string;
  datadir?: string;
  zmq: string | false;
  host: string;
  mineInterval?: number;
  groundTruth?: string;
  tags?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port (0-65535)');
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerDevnet(program: Command): void {
  program
    .command('devnet')
    .description('Run a bitcoind-compatible regtest node (JSON-RPC, REST, ZMQ) until interrupted')
    .option('--scenario <name>', `chain to build first: none, ${SCENARIO_NAMES.join(', ')}`, 'none')
    .option('--seed <text>', 'seed of the scenario (same seed, same chain)', 'minetrace')
    .option('--rpc-port <port>', 'JSON-RPC and REST port', parsePort, 18443)
    .option('--rpc-user <user>', 'HTTP Basic user (the cookie is always accepted)')
    .option('--rpc-password <password>', 'HTTP Basic password')
    .option('--datadir <dir>', 'write the RPC cookie to <dir>/regtest/.cookie')
    .option('--zmq <endpoint>', 'ZMQ PUB endpoint for every topic', 'tcp://127.0.0.1:28332')
    .option('--no-zmq', 'disable ZMQ')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--mine-interval <ms>', 'mine a block every <ms> milliseconds', parsePositive)
    .option('--ground-truth <file>', 'write the scenario ground truth as JSON to <file>')
    .option('--tags <file>', 'write the scenario attribution tags as a TagPack to <file> (for `tags import`)')
    .action(async (opts: DevnetOptions) => {
      const { devnetAction } = await import('./devnet.action.js');
      await devnetAction(opts);
    });
}
