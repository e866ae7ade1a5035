import type { ApiRole } from '@minetrace/shared/db';
import type { Command } from 'commander';

/**
 * The roles, in the order `API_ROLES` of `@minetrace/api` lists them, spelled out so that `--help`
 * does not load the API; as a record of every `ApiRole`, a missing or unknown role fails to compile.
 */
const ROLES: Record<ApiRole, true> = { investigator: true, screener: true, admin: true };
const API_ROLES = Object.keys(ROLES);

/**
 * `minetrace keys create|list|revoke`: API keys in the configured database. The secret is printed
 * once, at creation; only its SHA-256 is stored. With `MINETRACE_API_URL` set they run on that
 * server (`createApiKey`, `apiKeys`, `revokeApiKey`; an admin key in `MINETRACE_API_KEY`).
 */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys (Authorization: Bearer <key>)');
  keys
    .command('create')
    .description('create an API key and print it (once)')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what the key is for')
    .action(async (options: { role: string; name: string }) => {
      const { keysCreateAction } = await import('./keys.action.js');
      await keysCreateAction(options);
    });
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .action(async () => {
      const { keysListAction } = await import('./keys.action.js');
      await keysListAction();
    });
  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id `keys list` prints')
    .action(async (id: string) => {
      const { keysRevokeAction } = await import('./keys.action.js');
      await keysRevokeAction(id);
    });
}
