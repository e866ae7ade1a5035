/**
 * `npm run bench -- [name...]`: runs bench/<name>.bench.ts, or every bench when no name is given.
 * A bench is any `*.bench.ts` file in this folder exporting `run(): Promise<void>` that prints its
 * own figures; adding one means adding the file.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every bench module exports. */
export interface Bench {
  run(): Promise<void>;
}

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown bench: ${unknown.join(', ')} (available: ${available.join(', ')})\n`);
  process.exit(1);
}

for (const name of requested.length > 0 ? requested : available) {
  process.stdout.write(`\n== ${name} ==\n`);
  const bench = (await import(`./${name}.bench.ts`)) as Bench;
  await bench.run();
}
