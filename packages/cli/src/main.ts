import { BaseError, EXIT_RETRYABLE, RetryableError } from '@minetrace/shared';
import { Command } from 'commander';
import { registerDecode } from './commands/decode.command.js';
import { registerDevnet } from './commands/devnet.command.js';
import { registerExportGraph } from './commands/export-graph.command.js';
import { registerJobs } from './commands/jobs.command.js';
import { registerKeys } from './commands/keys.command.js';
import { registerPools } from './commands/pools.command.js';
import { registerScreen } from './commands/screen.command.js';
import { registerServe } from './commands/serve.command.js';
import { registerTags } from './commands/tags.command.js';
import { registerWorker } from './commands/worker.command.js';

/**
 * Builds the `minetrace` program. Every subcommand is defined in its own `commands/*.command.ts`,
 * which imports nothing heavy (only types from the services): the command's work is in its
 * `*.action.ts`, imported when the command runs, so that `--help` or `decode` never loads the API,
 * the indexer or the devnet.
 */
export function createProgram(): Command {
  const program = new Command('minetrace')
    .description('Bitcoin indexer and investigation API: mining income, payouts, clusters and fund flows')
    .showHelpAfterError();
  registerDecode(program);
  registerPools(program);
  registerDevnet(program);
  registerExportGraph(program);
  registerServe(program);
  registerKeys(program);
  registerTags(program);
  registerScreen(program);
  registerWorker(program);
  registerJobs(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof BaseError) {
      process.stderr.write(`minetrace: ${err.message}\n`);
      process.exitCode = err instanceof RetryableError ? EXIT_RETRYABLE : 1;
      return;
    }
    throw err;
  }
}
