/**
 * The top frames of a V8 CPU profile (`node --cpu-prof`), by self time and by total time, over the last
 * seconds of the profile only (so a run of bench/compare.ts with --cpu-prof is read without the start-up
 * and the scenario build before the load).
 * Run: npx tsx bench/profile-top.ts <file.cpuprofile> [--last S] [--top N]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, top: { type: 'string' } } });
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [--last S] [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top ?? 15);
const from = values.last ? profile.endTime - Number(values.last) * 1e6 : profile.startTime;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: Node): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${relative(process.cwd(), url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};
const self = new Map<string, number>();
const total = new Map<string, number>();
let t = profile.startTime;
let counted = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i += 1) {
  t += profile.timeDeltas[i]!;
  if (t < from) continue;
  const leaf = byId.get(profile.samples[i]!)!;
  if (leaf.callFrame.functionName === '(idle)') {
    idle += 1;
    continue;
  }
  counted += 1;
  self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const label = name(byId.get(id)!);
    if (seen.has(label) || label.startsWith('(root)')) continue;
    seen.add(label);
    total.set(label, (total.get(label) ?? 0) + 1);
  }
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [label, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${((n / counted) * 100).toFixed(1).padStart(5)} %  ${label}`);
};
console.log(`${file}: ${counted} busy samples (${idle} idle) in the last ${((profile.endTime - from) / 1e6).toFixed(1)} s`);
print('self time (share of busy samples)', self);
print('total time, callees included', total);
