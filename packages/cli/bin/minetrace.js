#!/usr/bin/env -S node --max-semi-space-size=64
// A young generation of 64 MB semi-spaces rather than V8's 16: decoding and writing blocks allocate
// short-lived rows by the hundred thousand per batch, and with small semi-spaces the scavenger ran
// four times as often and cost a third more (19 against 28 ms per mainnet-like block in the ingest
// benchmark, which runs with the same flag). `node bin/minetrace.js` runs without it, only slower.
// The CLI runs the TypeScript sources directly through tsx's loader, so that
// `npm ci && npm start` needs no build step between a clone and a running node.
import { register } from 'tsx/esm/api';

// Libraries skip their development-only checks (graphql-js's cross-realm instanceof costs a
// tenth of a lookup's CPU) unless the environment asks for development.
process.env.NODE_ENV ??= 'production';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
