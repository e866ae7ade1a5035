import type { ApiRole } from '@minetrace/shared/db';

/**
 * Who runs an operation: a key (with its role), or anyone on loopback while no key is configured
 * (`open`, which may do what an investigator may).
 */
export type Principal =
  | { kind: 'key'; keyId: bigint; name: string; role: ApiRole }
  | { kind: 'open'; role: 'investigator' };

export const OPEN_PRINCIPAL: Principal = Object.freeze({ kind: 'open', role: 'investigator' });
