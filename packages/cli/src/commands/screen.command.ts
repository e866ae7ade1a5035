import type { Command } from 'commander';

/** The options of `minetrace screen`, as commander hands them over. */
export interface ScreenOptions {
  file?: string;
  json?: boolean;
  job?: boolean;
}

/**
 * `minetrace screen ADDRESS… [--file F]`: screens addresses against the configured database with
 * the API's rules (`SCREEN_RULES_FILE`, `SCREEN_MAX_HOPS`), as the GraphQL `screen` query does. More
 * than 1,000 addresses are screened 1,000 at a time. Exits 1 when any address is HIGH or SEVERE.
 * With `MINETRACE_API_URL` set the server screens, through the `screen` query (or, with `--job`, a
 * `screen.batch` job uploaded to `/api/v1/jobs/screen-batch`), under its own rules.
 */
export function registerScreen(program: Command): void {
  program
    .command('screen')
    .description('screen addresses for risk: tags, cluster tags, exposure to tagged funds, pool payouts')
    .argument('[addresses...]', 'addresses to screen')
    .option('--file <path>', 'read addresses from a file, one a line (# starts a comment)')
    .option('--json', 'print JSON instead of a table')
    .option('--job', 'queue the addresses as one screen.batch job (up to 1,000,000) and follow it')
    .action(async (args: string[], opts: ScreenOptions) => {
      const { screenAction } = await import('./screen.action.js');
      await screenAction(args, opts);
    });
}
