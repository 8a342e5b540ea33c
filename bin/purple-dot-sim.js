#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`purple-dot-sim scenarios | head`) closes the pipe: the output is done, not broken.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { buildCli } = await import('../src/cli.ts');
await buildCli().parseAsync(process.argv);
