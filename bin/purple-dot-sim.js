#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { buildCli } = await import('../src/cli.ts');
await buildCli().parseAsync(process.argv);
