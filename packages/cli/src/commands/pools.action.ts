// The work of `minetrace pools`, loaded only when the command runs (see pools.command.ts).
import { loadConfig } from '@minetrace/shared/config';
import { DATASET_SOURCE, loadPools, type Pool } from '@minetrace/shared/pools';

/** `minetrace pools`: prints the pool definitions in use (see `registerPools`). */
export function poolsAction(options: { json?: boolean }): void {
  const config = loadConfig(process.env);
  const set = loadPools({ extraFiles: config.MINETRACE_POOLS });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ fingerprint: set.fingerprint, pools: set.pools }, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatTable(set.pools));
  const extra = set.pools.filter((pool) => pool.source !== DATASET_SOURCE).length;
  process.stdout.write(
    `\n${set.pools.length} pools (${extra} from extra files), fingerprint ${set.fingerprint}\n`,
  );
}

function formatTable(pools: readonly Pool[]): string {
  const header = ['id', 'slug', 'name', 'tags', 'addresses', 'source'];
  const rows = pools.map((pool) => [
    String(pool.id),
    pool.slug,
    pool.name,
    String(pool.tags.length),
    String(pool.addresses.length),
    pool.source,
  ]);
  const numeric = new Set([0, 3, 4]);
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => width(row[col]!))));
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => {
        const pad = ' '.repeat(widths[col]! - width(cell));
        return numeric.has(col) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Terminal columns: CJK and emoji take two. */
function width(text: string): number {
  let columns = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    columns +=
      code >= 0x1100 &&
      /[\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}\p{Extended_Pictographic}]/u.test(
        char,
      )
        ? 2
        : 1;
  }
  return columns;
}
