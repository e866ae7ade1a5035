import type { Db } from '@minetrace/shared/db';
import { createTurnBatcher } from '../turn-batcher.js';
import { type ApiKeyInfo, findApiKeysByHash, hasActiveApiKeys, hashApiKey } from './api-key.repository.js';
import { OPEN_PRINCIPAL, type Principal } from './principal.js';

/** How long "is any key configured?" is remembered; a new key closes the open mode within this. */
const KEYS_EXIST_TTL_MS = 2000;

export type AuthResult = { ok: true; principal: Principal } | { ok: false; message: string };

export interface Authenticator {
  /** Resolves the caller from the `Authorization` header and the peer address. */
  authenticate(authorization: string | undefined, remoteAddress: string | undefined): Promise<AuthResult>;
  /** True while no key is configured and the mode is `auto`: loopback callers need no key. */
  isOpen(): Promise<boolean>;
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * API keys from `Authorization: Bearer <key>`. In mode `auto` with no active key at all, requests
 * without a key are served to loopback peers only (the embedded demo); a key that is sent is
 * always checked.
 */
export function createAuthenticator(db: Db, mode: 'auto' | 'required'): Authenticator {
  // Every request with a key looks it up: the lookups of requests read in the same turn of the
  // event loop go as one statement. Nothing is cached, so a revoked key fails from the next request.
  const keyByHash = createTurnBatcher<Buffer, ApiKeyInfo | undefined>(async (hashes) => {
    const found = new Map(
      (await findApiKeysByHash(db, hashes)).map((key) => [key.keyHash.toString('hex'), key]),
    );
    return hashes.map((hash) => found.get(hash.toString('hex')));
  });
  let keysExist: { at: number; value: boolean } | undefined;
  const isOpen = async () => {
    if (mode === 'required') return false;
    if (keysExist === undefined || Date.now() - keysExist.at > KEYS_EXIST_TTL_MS) {
      keysExist = { at: Date.now(), value: await hasActiveApiKeys(db) };
    }
    return !keysExist.value;
  };
  return {
    isOpen,
    async authenticate(authorization, remoteAddress) {
      if (authorization === undefined || authorization === '') {
        if ((await isOpen()) && isLoopback(remoteAddress)) return { ok: true, principal: OPEN_PRINCIPAL };
        return { ok: false, message: 'an API key is required: send Authorization: Bearer <key>' };
      }
      const match = /^Bearer\s+(\S{1,200})$/i.exec(authorization.trim());
      if (match === null) return { ok: false, message: 'the Authorization header must be Bearer <key>' };
      const key = await keyByHash.load(hashApiKey(match[1]!));
      if (key === undefined) return { ok: false, message: 'unknown or revoked API key' };
      return { ok: true, principal: { kind: 'key', keyId: key.id, name: key.name, role: key.role } };
    },
  };
}
