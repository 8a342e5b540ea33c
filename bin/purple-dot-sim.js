#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`purple-dot-sim scenarios | head`) closes the pipe: the rest of the output has
// nowhere to go, which is no reason to crash (nor, for `serve`, to stop serving).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});
const { buildCli } = await import('../src/cli.ts');
await buildCli().parseAsync(process.argv);
