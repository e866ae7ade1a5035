// The work of `minetrace devnet`, loaded only when the command runs (see devnet.command.ts).
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
import type { DevnetOptions } from './devnet.command.js';

/** A regtest address nobody's wallet owns, for blocks mined on the interval timer. */
const INTERVAL_MINER_ADDRESS = 'bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202';

/** `minetrace devnet`: builds the scenario's chain and serves it until SIGINT or SIGTERM (see `registerDevnet`). */
export async function devnetAction(opts: DevnetOptions): Promise<void> {
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
}
