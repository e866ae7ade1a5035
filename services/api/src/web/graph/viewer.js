// The flow-graph viewer: a static page that asks the GraphQL API for a trace and draws it with
// Cytoscape.js. Amounts stay decimal strings (exact satoshis) and are summed as BigInt; they become
// floating-point numbers only to size nodes and edges on screen.

/* global cytoscape */

const TRACE_QUERY = `query ViewerTrace($input: TraceInput!) {
  trace(input: $input) {
    truncated
    summary {
      sourceValue reachedValue unspentValue feeValue cutOffValue
      byCategory { category value }
    }
    nodes {
      id kind txid address hop value taintedValue time stopped
      cluster { id size }
      tags { label category source confidence }
    }
    edges { from to value taintedValue hop time n }
  }
}`;

const ADDRESS_QUERY = `query ViewerAddress($address: String!) {
  address(address: $address) { received sent balance txCount }
}`;

/** Colours of the tag categories an investigator meets most; others get a stable hashed hue. */
const CATEGORY_COLOURS = {
  sanctioned: '#b3261e',
  exchange: '#1f6feb',
  miner: '#b7791f',
  mixer: '#8250df',
  coinjoin: '#8250df',
  suspect: '#cf222e',
  untagged: '#7d8590',
  tx: '#c9ced6',
};

const $ = (id) => document.getElementById(id);

/** Everything drawn: nodes and edges by id, merged across traces and expansions. */
const state = { nodes: new Map(), edges: new Map(), summary: null, cy: null };

function categoryOf(node) {
  if (node.kind === 'tx') return 'tx';
  return node.tags.length > 0 ? node.tags[0].category : 'untagged';
}

function colourOf(category) {
  if (CATEGORY_COLOURS[category] !== undefined) return CATEGORY_COLOURS[category];
  let hash = 0;
  for (const ch of category) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360}, 55%, 45%)`;
}

/** Satoshis as BTC text with every digit kept (the string never passes through a float). */
function formatSats(sats) {
  const value = BigInt(sats);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const whole = abs / 100_000_000n;
  const frac = (abs % 100_000_000n).toString().padStart(8, '0');
  return `${sign}${whole}.${frac} BTC`;
}

/** A size on screen from an amount: logarithmic, so a 1,000 BTC node does not hide a 0.01 BTC one. */
function scale(sats, min, max) {
  const value = Number(BigInt(sats));
  if (!(value > 0)) return min;
  return Math.min(max, min + Math.log10(value + 1) * ((max - min) / 12));
}

function setStatus(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function apiKey() {
  return $('api-key').value.trim();
}

async function graphql(query, variables) {
  const headers = { 'content-type': 'application/json' };
  if (apiKey() !== '') headers.authorization = `Bearer ${apiKey()}`;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const first = body.errors[0];
    const code = first.extensions?.code ? `${first.extensions.code}: ` : '';
    throw new Error(`${code}${first.message}`);
  }
  return body.data;
}

function edgeKey(edge) {
  return `${edge.from}->${edge.to}#${edge.n ?? ''}`;
}

/** Adds a trace's nodes and edges; a node seen before keeps its lowest hop and largest amounts. */
function merge(result, hopOffset) {
  for (const node of result.nodes) {
    const hop = node.hop + hopOffset;
    const known = state.nodes.get(node.id);
    if (known === undefined) {
      // GraphQL enum values (TX, ADDRESS) become the flow graph's kinds (tx, address).
      state.nodes.set(node.id, { ...node, kind: node.kind.toLowerCase(), hop });
    } else {
      known.hop = Math.min(known.hop, hop);
      if (BigInt(node.taintedValue) > BigInt(known.taintedValue)) known.taintedValue = node.taintedValue;
      if (BigInt(node.value) > BigInt(known.value)) known.value = node.value;
      known.stopped = known.stopped || node.stopped;
    }
  }
  for (const edge of result.edges) {
    const key = edgeKey(edge);
    if (!state.edges.has(key)) state.edges.set(key, { ...edge, hop: edge.hop + hopOffset });
  }
}

/**
 * The graph as drawn: address nodes of multi-address clusters either grouped inside a compound
 * cluster node or, collapsed, replaced by it with their edges summed.
 */
function visibleGraph(collapse) {
  const nodes = [];
  const clusters = new Map();
  const owner = new Map();
  for (const node of state.nodes.values()) {
    const cluster = node.cluster;
    if (node.kind === 'address' && cluster && cluster.size > 1) {
      const id = `cluster:${cluster.id}`;
      let group = clusters.get(id);
      if (group === undefined) {
        group = { id, kind: 'cluster', cluster, members: [], value: 0n, taintedValue: 0n, tags: [] };
        clusters.set(id, group);
      }
      group.members.push(node);
      group.value += BigInt(node.value);
      group.taintedValue += BigInt(node.taintedValue);
      for (const tag of node.tags) group.tags.push(tag);
      if (collapse) {
        owner.set(node.id, id);
        continue;
      }
      nodes.push({ ...node, parent: id });
      continue;
    }
    nodes.push(node);
  }
  for (const group of clusters.values()) {
    nodes.push({
      ...group,
      value: group.value.toString(),
      taintedValue: group.taintedValue.toString(),
      address: null,
      txid: null,
      compound: !collapse,
    });
  }
  const edges = new Map();
  for (const edge of state.edges.values()) {
    const from = owner.get(edge.from) ?? edge.from;
    const to = owner.get(edge.to) ?? edge.to;
    const key = collapse ? `${from}->${to}` : edgeKey(edge);
    const known = edges.get(key);
    if (known === undefined) {
      edges.set(key, {
        ...edge,
        id: key,
        from,
        to,
        value: BigInt(edge.value),
        taintedValue: BigInt(edge.taintedValue),
      });
    } else {
      known.value += BigInt(edge.value);
      known.taintedValue += BigInt(edge.taintedValue);
      known.hop = Math.min(known.hop, edge.hop);
    }
  }
  return {
    nodes,
    edges: [...edges.values()].map((e) => ({
      ...e,
      value: e.value.toString(),
      taintedValue: e.taintedValue.toString(),
    })),
  };
}

function labelOf(node) {
  if (node.kind === 'tx') return `${node.txid.slice(0, 8)}…`;
  if (node.kind === 'cluster') {
    const tag = node.tags[0];
    return `${tag ? `${tag.label} ` : ''}cluster ${node.cluster.id} (${node.cluster.size})`;
  }
  const tag = node.tags[0];
  return tag ? `${tag.label}\n${node.address.slice(0, 10)}…` : `${node.address.slice(0, 12)}…`;
}

function render() {
  const graph = visibleGraph($('collapse').checked);
  const elements = [];
  for (const node of graph.nodes) {
    const category = node.kind === 'cluster' ? (node.tags[0]?.category ?? 'untagged') : categoryOf(node);
    elements.push({
      group: 'nodes',
      data: {
        id: node.id,
        parent: node.parent,
        kind: node.kind,
        label: labelOf(node),
        value: node.value,
        taintedValue: node.taintedValue,
        category,
        colour: colourOf(category),
        size: scale(node.taintedValue, 14, 70),
      },
      classes: [node.kind, node.compound ? 'compound' : '', node.stopped ? 'stopped' : ''].join(' '),
    });
  }
  for (const edge of graph.edges) {
    elements.push({
      group: 'edges',
      data: {
        id: edge.id ?? edgeKey(edge),
        source: edge.from,
        target: edge.to,
        value: edge.value,
        taintedValue: edge.taintedValue,
        hop: edge.hop,
        label: formatSats(edge.taintedValue),
        width: scale(edge.taintedValue, 1, 12),
      },
    });
  }
  state.cy.elements().remove();
  state.cy.add(elements);
  state.cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.2, animate: false }).run();
  renderLegend(graph.nodes);
  const ready = elements.length > 0;
  $('export-png').disabled = !ready;
  $('export').disabled = !ready;
}

function renderLegend(nodes) {
  const categories = new Set(
    nodes.map((n) => (n.kind === 'cluster' ? (n.tags[0]?.category ?? 'untagged') : categoryOf(n))),
  );
  const legend = $('legend');
  legend.replaceChildren();
  if (categories.size === 0) return;
  const title = document.createElement('h2');
  title.textContent = 'Colours';
  legend.append(title);
  for (const category of [...categories].sort()) {
    const row = document.createElement('div');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colourOf(category);
    row.append(swatch, category);
    legend.append(row);
  }
}

function table(rows) {
  const t = document.createElement('table');
  for (const [key, value, numeric] of rows) {
    const tr = document.createElement('tr');
    const k = document.createElement('td');
    k.textContent = key;
    const v = document.createElement('td');
    v.textContent = value;
    if (numeric) v.className = 'num';
    tr.append(k, v);
    t.append(tr);
  }
  return t;
}

function renderSummary() {
  const summary = state.summary;
  const section = $('summary');
  section.replaceChildren();
  if (summary === null) {
    section.hidden = true;
    return;
  }
  const title = document.createElement('h2');
  title.textContent = 'Where the source went';
  section.append(
    title,
    table([
      ['source', formatSats(summary.sourceValue), true],
      ['reached', formatSats(summary.reachedValue), true],
      ['unspent', formatSats(summary.unspentValue), true],
      ['fees', formatSats(summary.feeValue), true],
      ['cut off', formatSats(summary.cutOffValue), true],
      ...summary.byCategory.map((c) => [`→ ${c.category}`, formatSats(c.value), true]),
    ]),
  );
  section.hidden = false;
}

async function showDetails(id) {
  const section = $('details');
  section.replaceChildren();
  section.hidden = false;
  const title = document.createElement('h2');
  const node = state.nodes.get(id);
  if (node === undefined) {
    // A cluster drawn from its members.
    const members = [...state.nodes.values()].filter((n) => `cluster:${n.cluster?.id}` === id);
    title.textContent = `Cluster ${id.slice('cluster:'.length)}`;
    const tags = members.flatMap((m) =>
      m.tags.map((t) => [`${t.category}: ${t.label}`, `${t.source} (${m.address.slice(0, 10)}…)`]),
    );
    section.append(title, table([['addresses drawn', String(members.length)], ...tags]));
    return;
  }
  title.textContent = node.kind === 'tx' ? 'Transaction' : 'Address';
  const rows = [
    [node.kind === 'tx' ? 'txid' : 'address', node.txid ?? node.address],
    ['hop', String(node.hop)],
    ['value', formatSats(node.value), true],
    ['tainted', formatSats(node.taintedValue), true],
  ];
  if (node.cluster) rows.push(['cluster', `${node.cluster.id} (${node.cluster.size} addresses)`]);
  for (const tag of node.tags)
    rows.push([`tag ${tag.category}`, `${tag.label} · ${tag.source} · ${tag.confidence}`]);
  section.append(title, table(rows));
  if (node.kind !== 'address') return;
  const expand = document.createElement('button');
  expand.type = 'button';
  expand.id = 'expand';
  expand.textContent = 'Expand one more hop';
  expand.addEventListener('click', () => {
    expandNode(node).catch((err) => setStatus(err.message, true));
  });
  section.append(expand);
  try {
    const data = await graphql(ADDRESS_QUERY, { address: node.address });
    if (data.address) {
      section.insertBefore(
        table([
          ['received', formatSats(data.address.received), true],
          ['sent', formatSats(data.address.sent), true],
          ['balance', formatSats(data.address.balance), true],
          ['transactions', String(data.address.txCount), true],
        ]),
        expand,
      );
    }
  } catch (err) {
    setStatus(err.message, true);
  }
}

function formInput(from, maxHops) {
  const stopAt = $('stop-at')
    .value.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    from,
    direction: $('direction').value,
    policy: $('policy').value,
    maxHops,
    maxNodes: Number($('max-nodes').value),
    stopAt,
  };
}

async function expandNode(node) {
  setStatus(`expanding ${node.address}…`);
  const data = await graphql(TRACE_QUERY, { input: formInput({ addresses: [node.address] }, 1) });
  const before = state.nodes.size;
  merge(data.trace, node.hop);
  render();
  setStatus(`expanded: ${state.nodes.size - before} new nodes`);
}

async function runTrace(event) {
  event.preventDefault();
  const addresses = $('addresses')
    .value.split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const pool = $('pool').value.trim();
  if (addresses.length === 0 && pool === '') {
    setStatus('enter addresses or a pool slug', true);
    return;
  }
  localStorage.setItem('minetrace.apiKey', apiKey());
  const from = {};
  if (addresses.length > 0) from.addresses = addresses;
  if (pool !== '') from.payoutsOfPool = pool;
  setStatus('tracing…');
  $('trace').disabled = true;
  try {
    const data = await graphql(TRACE_QUERY, { input: formInput(from, Number($('hops').value)) });
    state.nodes.clear();
    state.edges.clear();
    state.summary = data.trace.summary;
    merge(data.trace, 0);
    render();
    renderSummary();
    const truncated = data.trace.truncated ? ' (stopped at the node limit)' : '';
    setStatus(`${state.nodes.size} nodes, ${state.edges.size} edges${truncated}`);
  } catch (err) {
    setStatus(err.message, true);
  } finally {
    $('trace').disabled = false;
  }
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function exportPng() {
  const blob = state.cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff' });
  download(blob, 'minetrace-flow.png');
}

/** The drawn graph goes to the API, which writes the format (the same code as exports and jobs). */
async function exportFormat() {
  const format = $('export-format').value;
  const body = JSON.stringify({
    nodes: [...state.nodes.values()],
    edges: [...state.edges.values()],
    summary: state.summary,
    collapseClusters: $('collapse').checked,
  });
  const fetchFile = async (file) => {
    const headers = { 'content-type': 'application/json' };
    if (apiKey() !== '') headers.authorization = `Bearer ${apiKey()}`;
    const query = `format=${encodeURIComponent(format)}${file ? `&file=${encodeURIComponent(file)}` : ''}`;
    const response = await fetch(`/graph/export?${query}`, { method: 'POST', headers, body });
    if (!response.ok) {
      const reason = await response.json().catch(() => ({ error: response.statusText }));
      throw new Error(reason.error ?? response.statusText);
    }
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `minetrace-flow.${format}`;
    download(await response.blob(), name);
    return (response.headers.get('x-export-files') ?? '').split(',').filter((f) => f !== '');
  };
  // CSV comes as two files (nodes, edges): the first answer names them all.
  const files = await fetchFile(null);
  for (const file of files.slice(1)) await fetchFile(file);
  setStatus(`exported ${files.length > 0 ? files.join(', ') : format}`);
}

function start() {
  $('api-key').value = localStorage.getItem('minetrace.apiKey') ?? '';
  const params = new URLSearchParams(location.search);
  if (params.has('address')) $('addresses').value = params.getAll('address').join('\n');
  if (params.has('pool')) $('pool').value = params.get('pool');
  state.cy = cytoscape({
    container: $('graph'),
    wheelSensitivity: 0.2,
    style: [
      {
        selector: 'node',
        style: {
          'background-color': 'data(colour)',
          label: 'data(label)',
          width: 'data(size)',
          height: 'data(size)',
          'font-size': 9,
          'text-wrap': 'wrap',
          'text-valign': 'bottom',
          'text-margin-y': 3,
        },
      },
      { selector: 'node.tx', style: { shape: 'round-rectangle' } },
      { selector: 'node.cluster', style: { shape: 'hexagon' } },
      {
        selector: 'node.compound',
        style: {
          'background-opacity': 0.08,
          'border-width': 1,
          'border-color': 'data(colour)',
          'text-valign': 'top',
        },
      },
      { selector: 'node.stopped', style: { 'border-width': 3, 'border-color': '#1d2330' } },
      {
        selector: 'edge',
        style: {
          width: 'data(width)',
          'curve-style': 'bezier',
          'target-arrow-shape': 'triangle',
          'line-color': '#9aa4b2',
          'target-arrow-color': '#9aa4b2',
          label: 'data(label)',
          'font-size': 7,
          'text-rotation': 'autorotate',
        },
      },
      { selector: ':selected', style: { 'border-width': 3, 'border-color': '#f0b400' } },
    ],
  });
  state.cy.on('tap', 'node', (event) => {
    showDetails(event.target.id()).catch((err) => setStatus(err.message, true));
  });
  $('trace-form').addEventListener('submit', runTrace);
  $('collapse').addEventListener('change', render);
  $('export-png').addEventListener('click', exportPng);
  $('export').addEventListener('click', () => {
    exportFormat().catch((err) => setStatus(err.message, true));
  });
  // For scripts and browser tests: the drawn graph and its data.
  window.minetraceViewer = { state, visibleGraph };
}

start();
