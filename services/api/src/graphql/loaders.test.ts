import type { Db } from '@minetrace/shared/db';
import { describe, expect, it } from 'vitest';
import { createLoaders, type SharedLoaders } from './loaders.js';

// Nothing here reaches the database: loaders are made and primed, never dispatched.
const db = {} as Db;
const shared = {} as SharedLoaders;

describe('createLoaders', () => {
  it("makes each loader once per request, so that a request's reads share its cache", async () => {
    const loaders = createLoaders(db, shared);
    expect(loaders.blockByHeight).toBe(loaders.blockByHeight);
    const totals = { received: 5n, sent: 2n, txCount: 3 };
    loaders.addressTotals.prime(7n, totals);
    await expect(loaders.addressTotals.load(7n)).resolves.toBe(totals);
  });

  it('gives every request loaders of its own', () => {
    const first = createLoaders(db, shared);
    const second = createLoaders(db, shared);
    expect(second.addressTotals).not.toBe(first.addressTotals);
  });
});
