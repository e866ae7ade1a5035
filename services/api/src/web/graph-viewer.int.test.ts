import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer } from '../http/api-server.js';
import { indexDemoChain } from '../testing/index.js';

/** Debian's Chromium, as the machines running these tests install it (see .ci/run). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
/** Screenshots land here for people to look at after a run (ignored by git). */
const ARTIFACTS = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../test-results');

/** What the viewer exposes on `window` for scripts (see viewer.js). */
interface ViewerWindow {
  minetraceViewer: {
    state: {
      cy: import('cytoscape').Core;
      nodes: Map<string, { id: string; kind: string; stopped: boolean; hop: number }>;
    };
    visibleGraph(collapse: boolean): VisibleGraph;
  };
}

interface VisibleGraph {
  nodes: Array<{
    id: string;
    kind: string;
    cluster?: { id: string; size: number } | null;
    taintedValue: string;
  }>;
  edges: Array<{ from: string; to: string; taintedValue: string }>;
}

/** Reads a PNG's width and height from its IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('flow-graph viewer in Chromium on the demo chain', () => {
  let test: TestDatabase;
  let server: ApiServer;
  let url: string;
  let truth: GroundTruth;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db);
    // No key configured: the open localhost mode, as `npm start` serves it.
    server = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
    });
    url = await server.listen();
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    } catch (err) {
      throw new Error(
        `Chromium did not start from ${CHROMIUM} (${(err as Error).message}); install Debian's chromium ` +
          '(`apt-get install chromium`) or point CHROMIUM_PATH at one',
        { cause: err },
      );
    }
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await test?.close();
  });

  async function visibleGraph(collapse: boolean): Promise<VisibleGraph> {
    return page.evaluate(
      (c) =>
        (
          window as unknown as { minetraceViewer: { visibleGraph(c: boolean): VisibleGraph } }
        ).minetraceViewer.visibleGraph(c),
      collapse,
    );
  }

  it("traces the suspect's payouts into the exchange cluster with the ground truth's haircut value", async () => {
    const flow = truth.suspectFlow!;
    const expected = flow.trace.byPolicy.haircut;
    await page.goto(`${url}/graph`);
    await page.fill('#addresses', flow.trace.from.addresses.join('\n'));
    await page.selectOption('#direction', 'FORWARD');
    await page.selectOption('#policy', 'HAIRCUT');
    await page.fill('#hops', String(flow.trace.maxHops));
    await page.fill('#stop-at', flow.trace.stopAt.join(','));
    await page.click('#trace');
    await page.waitForFunction(
      () => /\d+ nodes, \d+ edges/.test(document.getElementById('status')!.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );

    // Collapsed, each exchange deposit is drawn as its cluster (or alone when nothing links it).
    await page.check('#collapse');
    const graph = await visibleGraph(true);
    const deposits = await test.db
      .selectFrom('addresses')
      .leftJoin('address_clusters', 'address_clusters.address_id', 'addresses.id')
      .leftJoin('clusters', 'clusters.id', 'address_clusters.cluster_id')
      .select(['address', 'address_clusters.cluster_id', 'clusters.size'])
      .where('address', 'in', flow.depositAddresses)
      .execute();
    expect(deposits).toHaveLength(flow.depositAddresses.length);
    const exchangeNodes = new Set(
      deposits.map((d) => ((d.size ?? 1) > 1 ? `cluster:${d.cluster_id}` : `address:${d.address}`)),
    );
    for (const id of exchangeNodes) {
      expect(
        graph.nodes.some((node) => node.id === id),
        `${id} is drawn`,
      ).toBe(true);
    }
    const intoExchange = graph.edges
      .filter((edge) => exchangeNodes.has(edge.to))
      .reduce((sum, edge) => sum + BigInt(edge.taintedValue), 0n);
    expect(intoExchange).toBe(BigInt(expected.reachedValue));
    const summary = await page.textContent('#summary');
    expect(summary).toContain('reached');
    await page.screenshot({ path: path.join(ARTIFACTS, 'graph-viewer-trace.png') });
  }, 120_000);

  it('shows a clicked node and expands it one more hop', async () => {
    await page.uncheck('#collapse');
    const before = (await visibleGraph(false)).nodes.length;
    // An exchange deposit where the walk stopped: one more hop reaches the exchange's sweep.
    const target = await page.evaluate(() => {
      const viewer = (window as unknown as ViewerWindow).minetraceViewer;
      const candidates = [...viewer.state.nodes.values()]
        .filter((n) => n.kind === 'address' && n.stopped)
        .sort((a, b) => a.hop - b.hop);
      const chosen = candidates[0];
      const container = viewer.state.cy.container();
      if (chosen === undefined || container === null) throw new Error('no stopped address drawn');
      const node = viewer.state.cy.$id(chosen.id);
      const box = container.getBoundingClientRect();
      viewer.state.cy.center(node);
      const position = node.renderedPosition();
      return { id: chosen.id, x: box.left + position.x, y: box.top + position.y };
    });
    await page.mouse.click(target.x, target.y);
    await page.waitForSelector('#details:not([hidden]) #expand');
    expect(await page.textContent('#details')).toContain(target.id.slice('address:'.length));
    await page.click('#expand');
    await page.waitForFunction(
      () => /^expanded/.test(document.getElementById('status')!.textContent ?? ''),
      undefined,
      {
        timeout: 60_000,
      },
    );
    const after = (await visibleGraph(false)).nodes.length;
    expect(after).toBeGreaterThan(before);
  }, 120_000);

  it('exports the view as a PNG of the drawn size and as GraphML', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    const png = await readFile((await download.path())!);
    const size = pngSize(png);
    const expected = await page.evaluate(() => {
      const cy = (window as unknown as ViewerWindow).minetraceViewer.state.cy;
      const box = cy.elements().boundingBox();
      return { width: box.w * 2, height: box.h * 2 };
    });
    expect(png.length).toBeGreaterThan(1000);
    expect(Math.abs(size.width - expected.width)).toBeLessThanOrEqual(2);
    expect(Math.abs(size.height - expected.height)).toBeLessThanOrEqual(2);

    await page.selectOption('#export-format', 'graphml');
    const [graphml] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const text = await readFile((await graphml.path())!, 'utf8');
    expect(text).toContain('<graphml');
    await page.screenshot({ path: path.join(ARTIFACTS, 'graph-viewer-expanded.png') });
  }, 120_000);
});
