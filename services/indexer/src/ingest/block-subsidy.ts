import type { Network } from '@minetrace/shared/chain';

const INITIAL_SUBSIDY = 5_000_000_000n;

/** Blocks between halvings: 150 on regtest, 210,000 everywhere else. */
export function halvingInterval(network: Network): number {
  return network === 'regtest' ? 150 : 210_000;
}

/** The new coins a block at `height` may create; zero once shifted past 64 halvings, as in Core. */
export function blockSubsidy(height: number, network: Network): bigint {
  const halvings = Math.floor(height / halvingInterval(network));
  return halvings >= 64 ? 0n : INITIAL_SUBSIDY >> BigInt(halvings);
}
