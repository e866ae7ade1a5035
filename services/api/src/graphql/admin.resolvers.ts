import type { ApiRole } from '@minetrace/shared/db';
import { createApiKey, revokeApiKey } from '../auth/api-key.repository.js';
import { badInput } from './errors.js';
import { parseId } from './input-validation.js';
import { jobMutationResolvers } from './jobs.resolvers.js';
import type { ApiKeyResolvers, MutationResolvers, Role } from './resolvers.generated.js';
import { tagMutationResolvers } from './tags.resolvers.js';

const ROLE_OUT: Record<ApiRole, Role> = {
  investigator: 'INVESTIGATOR',
  screener: 'SCREENER',
  admin: 'ADMIN',
};
const ROLE_IN: Record<Role, ApiRole> = { INVESTIGATOR: 'investigator', SCREENER: 'screener', ADMIN: 'admin' };

/** Key management (the operation guard lets only the admin role reach it) and the job mutations. */
export const mutationResolvers: MutationResolvers = {
  ...jobMutationResolvers,
  ...tagMutationResolvers,
  createApiKey: async (_root, args, ctx) => {
    const name = args.name.trim();
    if (name.length === 0 || name.length > 200) throw badInput('name must be 1 to 200 characters');
    return createApiKey(ctx.db, { name, role: ROLE_IN[args.role] });
  },
  revokeApiKey: (_root, args, ctx) => revokeApiKey(ctx.db, parseId(args.id, 'key id')),
};

export const apiKeyResolvers: ApiKeyResolvers = {
  id: (key) => String(key.id),
  name: (key) => key.name,
  role: (key) => ROLE_OUT[key.role],
  prefix: (key) => key.prefix,
  createdAt: (key) => key.createdAt,
  revokedAt: (key) => key.revokedAt,
};
