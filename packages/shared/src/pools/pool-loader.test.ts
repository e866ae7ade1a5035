import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../errors.js';
import { identifyPool, loadPools, PoolDefinitionError, parseMinetracePools } from './index.js';

const DATASET_DIR = fileURLToPath(new URL('../../data/mining-pools/pools/', import.meta.url));
const F2POOL_ADDRESS = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';
const NEW_ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

const root = mkdtempSync(join(tmpdir(), 'minetrace-pools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** Writes `content` (JSON-encoded unless already a string) as `name` in a fresh directory. */
function file(name: string, content: unknown): string {
  const dir = join(root, String(counter++));
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const acme = {
  id: 9001,
  name: 'Acme Hash',
  addresses: [NEW_ADDRESS],
  tags: ['/acme/'],
  link: 'https://acme.example',
};

function loadError(extraFiles: string[]): PoolDefinitionError {
  try {
    loadPools({ extraFiles });
  } catch (err) {
    if (err instanceof PoolDefinitionError) return err;
    throw err;
  }
  throw new Error('expected loadPools to refuse the files');
}

describe('loadPools: the vendored dataset', () => {
  const set = loadPools();

  it('loads every dataset file, slug = file name, source = dataset', () => {
    const files = readdirSync(DATASET_DIR).filter((name) => name.endsWith('.json'));
    expect(set.pools).toHaveLength(files.length);
    expect(new Set(set.pools.map((pool) => `${pool.slug}.json`))).toEqual(new Set(files));
    expect(set.pools.every((pool) => pool.source === 'dataset')).toBe(true);
    expect(set.pools.map((pool) => pool.id)).toEqual(
      [...set.pools.map((pool) => pool.id)].sort((a, b) => a - b),
    );
  });

  it('indexes pools by id and slug', () => {
    const f2pool = set.bySlug.get('f2pool');
    expect(f2pool?.id).toBe(22);
    expect(f2pool?.name).toBe('F2Pool');
    expect(f2pool?.addresses).toContain(F2POOL_ADDRESS);
    expect(set.byId.get(22)).toBe(f2pool);
    expect(set.bySlug.get('ocean')?.tags).toEqual(['OCEAN.XYZ']);
  });

  it('does not depend on the working directory', () => {
    const before = process.cwd();
    try {
      process.chdir(root);
      expect(loadPools().fingerprint).toBe(set.fingerprint);
    } finally {
      process.chdir(before);
    }
  });
});

describe('loadPools: extra files', () => {
  it('adds a pool from a one-pool file, named after the file', () => {
    const path = file('acme-hash.json', acme);
    const set = loadPools({ extraFiles: [path] });
    const added = set.byId.get(9001);
    expect(added).toMatchObject({ slug: 'acme-hash', name: 'Acme Hash', source: path });
    expect(set.pools).toHaveLength(loadPools().pools.length + 1);
    expect(identifyPool({ tag: 'x /ACME/ y', addresses: [NEW_ADDRESS] }, set)).toMatchObject({
      evidence: 'both',
      pool: { id: 9001 },
    });
  });

  it('adds pools from an array file, slugs derived from their names', () => {
    const path = file('team.json', [acme, { id: 9002, name: '矿池', addresses: [], tags: ['/kuangchi/'] }]);
    const set = loadPools({ extraFiles: [path] });
    expect(set.byId.get(9001)?.slug).toBe('acme-hash');
    expect(set.byId.get(9002)).toMatchObject({ slug: 'pool-9002', link: '', source: path });
  });

  it('overrides the dataset pool with the same id, keeping its slug', () => {
    const path = file('f2-corrected.json', {
      id: 22,
      name: 'F2Pool',
      addresses: [NEW_ADDRESS],
      tags: ['F2Pool'],
      link: 'https://www.f2pool.com',
    });
    const set = loadPools({ extraFiles: [path] });
    const f2pool = set.byId.get(22);
    expect(f2pool).toMatchObject({ slug: 'f2pool', addresses: [NEW_ADDRESS], source: path });
    expect(set.bySlug.get('f2pool')).toBe(f2pool);
    expect(set.pools).toHaveLength(loadPools().pools.length);
    // The replaced definition is gone entirely: its address and tags no longer attribute.
    expect(identifyPool({ tag: '', addresses: [F2POOL_ADDRESS] }, set).evidence).toBe('unknown');
    expect(identifyPool({ tag: '', addresses: [NEW_ADDRESS] }, set).pool?.slug).toBe('f2pool');
  });

  it('lets a later extra file override an earlier one', () => {
    const first = file('acme-hash.json', acme);
    const second = file('acme-hash.json', { ...acme, tags: ['/acme2/'] });
    const set = loadPools({ extraFiles: [first, second] });
    expect(set.byId.get(9001)).toMatchObject({ tags: ['/acme2/'], source: second });
  });

  it('refuses invalid JSON, naming the file', () => {
    const path = file('broken.json', '{ "id": 1, ');
    const err = loadError([path]);
    expect(err.message.startsWith(`${path}: invalid JSON: `)).toBe(true);
    expect(err.file).toBe(path);
    expect(err.field).toBeNull();
    expect(err).toBeInstanceOf(NonRetryableError);
  });

  it('refuses a missing file, naming it', () => {
    const path = join(root, 'nowhere.json');
    expect(loadError([path]).message).toBe(`${path}: cannot read the file (ENOENT)`);
  });

  it('refuses a missing field, naming file and field', () => {
    const { name: _name, ...nameless } = acme;
    const path = file('pools.json', [acme, nameless]);
    const err = loadError([path]);
    expect(err.message).toBe(`${path}: [1].name: required`);
    expect(err.field).toBe('[1].name');
  });

  it('refuses a field of the wrong type, naming file and field', () => {
    const path = file('pools.json', [acme, { ...acme, id: 9002 }, { ...acme, id: 9003, addresses: [42] }]);
    expect(loadError([path]).message).toBe(`${path}: [2].addresses[0]: expected string`);
    const single = file('acme.json', { ...acme, tags: '/acme/' });
    expect(loadError([single]).message).toBe(`${single}: tags: expected array`);
    const badId = file('acme.json', { ...acme, id: '9001' });
    expect(loadError([badId]).message).toBe(`${badId}: id: expected number`);
  });

  it('refuses a blank tag, which would match every coinbase', () => {
    const path = file('acme.json', { ...acme, tags: ['/acme/', ' '] });
    expect(loadError([path]).message).toBe(`${path}: tags[1]: must not be blank`);
  });

  it('refuses a file that is neither a pool nor an array of pools', () => {
    const path = file('acme.json', '"acme"');
    expect(loadError([path]).message).toBe(`${path}: expected a pool object or an array of pool objects`);
  });

  it('refuses the same id twice in one file', () => {
    const path = file('pools.json', [acme, { ...acme, name: 'Other', addresses: [], tags: [] }]);
    expect(loadError([path]).message).toBe(`${path}: [1].id: id 9001 is also used by [0]`);
  });

  it('refuses an address or a tag that another pool already has', () => {
    const address = file('acme.json', { ...acme, addresses: [F2POOL_ADDRESS] });
    const addressErr = loadError([address]);
    expect(addressErr.field).toBe('addresses[0]');
    expect(addressErr.message).toContain('pool 22 F2Pool (dataset)');
    const tag = file('pools.json', [{ ...acme, tags: ['ocean.xyz'] }]);
    const tagErr = loadError([tag]);
    expect(tagErr.field).toBe('[0].tags[0]');
    expect(tagErr.message).toContain('Ocean.xyz');
  });

  it('refuses a new pool whose slug is taken by another pool', () => {
    const path = file('f2pool.json', acme);
    expect(loadError([path]).message).toMatch(/slug 'f2pool' is already used by pool 22 F2Pool/);
  });
});

describe('fingerprint', () => {
  const base = loadPools().fingerprint;

  it('is a sha256 hex digest, stable across loads', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(loadPools().fingerprint).toBe(base);
  });

  it('ignores where an unchanged definition comes from and the order of its lists', () => {
    const f2pool = loadPools().bySlug.get('f2pool')!;
    const path = file('f2pool.json', {
      id: 22,
      name: f2pool.name,
      link: f2pool.link,
      tags: [...f2pool.tags].reverse(),
      addresses: [...f2pool.addresses].reverse(),
    });
    expect(loadPools({ extraFiles: [path] }).fingerprint).toBe(base);
  });

  it('does not depend on the order of extra files defining different pools', () => {
    const one = file('acme-hash.json', acme);
    const two = file('beta.json', { ...acme, id: 9002, name: 'Beta', addresses: [], tags: ['/beta/'] });
    expect(loadPools({ extraFiles: [one, two] }).fingerprint).toBe(
      loadPools({ extraFiles: [two, one] }).fingerprint,
    );
  });

  it('changes when a pool is added or an address, tag or name changes', () => {
    const f2pool = loadPools().bySlug.get('f2pool')!;
    const definition = {
      id: 22,
      name: f2pool.name,
      link: f2pool.link,
      tags: f2pool.tags,
      addresses: f2pool.addresses,
    };
    const variants = [
      file('acme-hash.json', acme),
      file('f2pool.json', { ...definition, addresses: [...definition.addresses, NEW_ADDRESS] }),
      file('f2pool.json', { ...definition, tags: [...definition.tags, '/f2/'] }),
      file('f2pool.json', { ...definition, name: 'F2Pool (Discus Fish)' }),
    ];
    const prints = variants.map((path) => loadPools({ extraFiles: [path] }).fingerprint);
    expect(new Set([base, ...prints]).size).toBe(variants.length + 1);
  });
});

describe('parseMinetracePools', () => {
  it('is empty when unset or blank', () => {
    expect(parseMinetracePools(undefined)).toEqual([]);
    expect(parseMinetracePools('')).toEqual([]);
    expect(parseMinetracePools(' , ')).toEqual([]);
  });

  it('splits on commas, trimming blanks and dropping empty entries', () => {
    expect(parseMinetracePools(' ./a.json ,/srv/pools/b.json,,C:\\pools\\c.json ')).toEqual([
      './a.json',
      '/srv/pools/b.json',
      'C:\\pools\\c.json',
    ]);
  });
});
