import type { Command } from 'commander';

/**
 * `minetrace pools [--json]`: the pool definitions in use (the vendored dataset plus the files in
 * `MINETRACE_POOLS`) and where each came from. An invalid extra file fails with its file and field.
 */
export function registerPools(program: Command): void {
  program
    .command('pools')
    .description('list the mining pools in use and where each definition came from')
    .option('--json', 'print every definition, with tags, addresses and the set fingerprint, as JSON')
    .action(async (options: { json?: boolean }) => {
      const { poolsAction } = await import('./pools.action.js');
      poolsAction(options);
    });
}
