#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader, so that
// `npm ci && npm start` needs no build step between a clone and a running node.
import { register } from 'tsx/esm/api';

// Libraries skip their development-only checks (graphql-js's cross-realm instanceof costs a
// tenth of a lookup's CPU) unless the environment asks for development.
process.env.NODE_ENV ??= 'production';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
