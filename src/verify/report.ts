/** How a verify run is shown: a pass/fail table for people, JUnit XML for CI. */
import type { CheckResult, VerifyReport } from './verify.ts';

const RESULT = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
const REQUEST_WIDTH = 80;

const clip = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** What the last column says about a check: its first problem, why it was skipped, or a note. */
export function firstProblem(check: CheckResult): string {
  const [first, ...rest] = check.problems;
  if (first === undefined) return check.note ?? '';
  return rest.length > 0 && check.outcome === 'fail' ? `${first} (+${rest.length} more)` : first;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** One row per check: operation, request, status, result, first problem; then a summary line. */
export function formatTable(report: VerifyReport): string {
  const header = ['OPERATION', 'REQUEST', 'STATUS', 'RESULT', 'FIRST PROBLEM'];
  const rows = report.checks.map((c) => [
    c.operationId,
    clip(`${c.method} ${c.request}`, REQUEST_WIDTH),
    c.status === null ? '-' : String(c.status),
    RESULT[c.outcome],
    firstProblem(c),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const summary = `${report.checks.length} checks against ${report.baseUrl}: ${report.passed} passed, ${report.failed} failed, `
    + `${report.skipped} skipped in ${(report.durationMs / 1000).toFixed(2)} s`;
  return [line(header), ...rows.map(line), '', summary, ''].join('\n');
}

// XML 1.0 forbids most control characters even when escaped: they are dropped.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit XML: one testsuite, one testcase per check; a failure lists every problem, a skip says why. */
export function junitXml(report: VerifyReport): string {
  const attrs = (pairs: Record<string, string | number>): string =>
    Object.entries(pairs).map(([k, v]) => `${k}="${escapeXml(String(v))}"`).join(' ');
  const totals = { tests: report.checks.length, failures: report.failed, errors: 0, skipped: report.skipped, time: seconds(report.durationMs) };
  const cases = report.checks.map((c) => {
    const open = `    <testcase ${attrs({ classname: `purple-dot-sim.verify.${c.operationId}`, name: `${c.name}: ${c.method} ${c.request}`, time: seconds(c.durationMs) })}`;
    if (c.outcome === 'pass') return `${open}/>`;
    const inner = c.outcome === 'skip'
      ? `      <skipped ${attrs({ message: c.problems[0] ?? 'skipped' })}/>`
      : `      <failure ${attrs({ message: c.problems[0] ?? 'failed', type: 'ContractViolation' })}>${escapeXml(
        [`${c.method} ${c.request} answered ${c.status ?? 'nothing'}`, ...c.problems].join('\n'),
      )}</failure>`;
    return `${open}>\n${inner}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs({ name: 'purple-dot-sim verify', ...totals })}>`,
    `  <testsuite ${attrs({ name: `purple-dot-sim verify ${report.baseUrl}`, ...totals, timestamp: report.startedAt.replace(/\.\d+Z$/, '') })}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
