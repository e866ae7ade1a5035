import { writeFile } from 'node:fs/promises';
import {
  createDevnetChain,
  groundTruthToJson,
  runScenario,
  SCENARIO_NAMES,
  type ScenarioName,
  startDevnetNode,
} from '@minetrace/devnet';
import { NonRetryableError } from '@minetrace/shared';
import { writeTagPack } from '@minetrace/shared/tags';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

interface DevnetOptions {
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

/** A regtest address nobody's wallet owns, for blocks mined on the interval timer. */
const INTERVAL_MINER_ADDRESS = 'bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202';

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
      if ((opts.rpcUser === undefined) !== (opts.rpcPassword === undefined)) {
        throw new NonRetryableError('devnet: --rpc-user and --rpc-password go together');
      }
      if (opts.scenario !== 'none' && !(SCENARIO_NAMES as readonly string[]).includes(opts.scenario)) {
        throw new NonRetryableError(`devnet: unknown scenario '${opts.scenario}'`);
      }
      if (opts.groundTruth !== undefined && opts.scenario === 'none') {
        throw new NonRetryableError('devnet: --ground-truth needs a --scenario');
      }
      if (opts.tags !== undefined && opts.scenario === 'none') {
        throw new NonRetryableError('devnet: --tags needs a --scenario');
      }
      const chain = createDevnetChain();
      if (opts.scenario !== 'none') {
        const started = Date.now();
        const truth = runScenario(opts.scenario as ScenarioName, chain, { seed: opts.seed });
        process.stdout.write(
          `scenario ${opts.scenario}: ${chain.tipHeight()} blocks in ${Date.now() - started} ms\n`,
        );
        if (opts.groundTruth !== undefined) {
          await writeFile(opts.groundTruth, groundTruthToJson(truth));
          process.stdout.write(`ground truth: ${opts.groundTruth}\n`);
        }
        if (opts.tags !== undefined) {
          const header = {
            title: `minetrace ${opts.scenario} scenario`,
            creator: 'minetrace devnet',
            isPublic: true,
            description: `attribution tags of the ${opts.scenario} scenario, seed ${opts.seed}`,
          };
          await writeFile(opts.tags, writeTagPack(header, truth.tags));
          process.stdout.write(`tags: ${opts.tags} (${truth.tags.length})\n`);
        }
      }
      const node = await startDevnetNode({
        chain,
        rpcPort: opts.rpcPort,
        rpcUser: opts.rpcUser,
        rpcPassword: opts.rpcPassword,
        datadir: opts.datadir,
        zmqEndpoint: opts.zmq === false ? null : opts.zmq,
        host: opts.host,
      });
      process.stdout.write(
        [
          `rpc:    ${node.rpcUrl}`,
          `rest:   ${node.restUrl}`,
          `zmq:    ${node.zmqUrl ?? 'disabled'}`,
          `cookie: ${node.cookiePath ?? 'none (no --datadir)'}`,
          `tip:    ${chain.tipHeight()} ${chain.tipHash()}`,
          '',
        ].join('\n'),
      );
      const timer =
        opts.mineInterval === undefined
          ? undefined
          : setInterval(() => {
              const [hash] = chain.generateToAddress(1, INTERVAL_MINER_ADDRESS);
              process.stdout.write(`mined ${chain.tipHeight()} ${hash}\n`);
            }, opts.mineInterval);
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          resolve();
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
      if (timer) clearInterval(timer);
      await node.stop();
    });
}
