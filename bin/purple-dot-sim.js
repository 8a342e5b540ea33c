#!/usr/bin/env node
// Runs the compiled CLI from dist/ (`npm run build`; `npm ci` and `npm start` build it in a source checkout).
import { existsSync } from 'node:fs';

// The build's one-file bundle of the CLI starts in half the time of dist/src/ module by module.
const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const cli = existsSync(bundle) ? bundle : new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('purple-dot-sim: dist/ is missing: run "npm run build" first (npm start builds it too).\n');
  process.exit(1);
}
// A reader that stops early (`purple-dot-sim scenarios | head`) closes the pipe: the rest of the output has
// nowhere to go, which is no reason to crash (nor, for `serve`, to stop serving).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});
const { buildCli } = await import(cli.href);
await buildCli().parseAsync(process.argv);
