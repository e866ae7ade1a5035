import type { Network } from '@minetrace/shared/chain';
import { type Command, Option } from 'commander';

const NETWORKS: Network[] = ['main', 'test', 'signet', 'regtest'];

/** The options of `minetrace decode`, as commander hands them over. */
export interface DecodeOptions {
  network: Network;
  hex?: boolean;
}

/**
 * `minetrace decode <file|-> [--network] [--hex]`: a raw block as one JSON line per
 * transaction, `{txid, coinbase?: {height, tag, pool}, inputs: [{txid, n}], outputs: [{n, value,
 * type, address}]}` with values in satoshis. The whole block is decoded before anything is
 * printed, so bad input gives a message on stderr, exit code 1 and no output.
 */
export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode a raw block into one JSON line per transaction')
    .argument('<file>', "raw block file, or '-' for stdin")
    .addOption(
      new Option('--network <network>', 'address encoding of the block').choices(NETWORKS).default('main'),
    )
    .option('--hex', 'the input is hex text (whitespace ignored)')
    .action(async (file: string, options: DecodeOptions) => {
      const { decodeAction } = await import('./decode.action.js');
      await decodeAction(file, options);
    });
}
