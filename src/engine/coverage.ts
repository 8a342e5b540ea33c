import type { FaultKind } from './journal.ts';

export interface OperationCoverage {
  calls: number;
  statuses: Record<string, number>;
  /** A page after the first was asked for (with `starting_after`). */
  paged: boolean;
  /** The query parameters it was asked with; credentials and paging left out. */
  filters: string[];
  nonConforming: number;
}

export interface CoverageReport {
  operations: Record<string, OperationCoverage>;
  untouched: string[];
  faults: Partial<Record<FaultKind, number>>;
  calls: number;
}

/** What a test run can ask of the coverage; each field left out asks nothing. */
export interface CoverageExpectation {
  /** These operations were called (`'all'`: every Purple Dot operation). */
  operations?: string[] | 'all';
  /** These statuses were answered, per operation. */
  statuses?: Record<string, number[]>;
  /** These operations were paged past their first page. */
  paged?: string[];
  /** These filters were used, per operation. */
  filters?: Record<string, string[]>;
  /** These fault kinds were met. */
  faults?: FaultKind[];
  /** Every request conformed to the spec. */
  allConforming?: boolean;
}

/** Credentials and paging are not filters; nor is the email of the shopper credential (a filter elsewhere). */
const NOT_FILTERS = new Set(['api_key', 'shop', 'token', 'timestamp', 'limit', 'starting_after']);
const isFilter = (operationId: string, name: string): boolean => !NOT_FILTERS.has(name) && !(name === 'email' && operationId === 'listShopperPreOrders');

export interface CoverageRecorder {
  /** `status` is undefined when a fault lost the answer: the client never saw one. */
  record(operationId: string, status: number | undefined, query: Record<string, unknown>, conformed: boolean, fault: FaultKind | undefined): void;
  report(): CoverageReport;
  clear(): void;
}

/** Counts what the integration under test met of the Purple Dot API (the control API is the test's own steering). */
export function createCoverage(operationIds: readonly string[]): CoverageRecorder {
  let operations = new Map<string, { calls: number; statuses: Map<number, number>; paged: boolean; filters: Set<string>; nonConforming: number }>();
  let faults = new Map<FaultKind, number>();
  return {
    record(operationId, status, query, conformed, fault) {
      let op = operations.get(operationId);
      if (!op) operations.set(operationId, (op = { calls: 0, statuses: new Map(), paged: false, filters: new Set(), nonConforming: 0 }));
      op.calls += 1;
      if (status !== undefined) op.statuses.set(status, (op.statuses.get(status) ?? 0) + 1);
      if (status === 200 && query.starting_after !== undefined) op.paged = true;
      for (const name of Object.keys(query)) if (isFilter(operationId, name)) op.filters.add(name);
      if (!conformed) op.nonConforming += 1;
      if (fault) faults.set(fault, (faults.get(fault) ?? 0) + 1);
    },
    report() {
      const report: CoverageReport = { operations: {}, untouched: [], faults: Object.fromEntries(faults), calls: 0 };
      for (const id of operationIds) {
        const op = operations.get(id);
        report.operations[id] = {
          calls: op?.calls ?? 0,
          statuses: Object.fromEntries([...(op?.statuses ?? [])].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n])),
          paged: op?.paged ?? false,
          filters: [...(op?.filters ?? [])].sort(),
          nonConforming: op?.nonConforming ?? 0,
        };
        report.calls += op?.calls ?? 0;
        if (!op) report.untouched.push(id);
      }
      return report;
    },
    clear() {
      operations = new Map();
      faults = new Map();
    },
  };
}

/** What the report lacks of the expectation, one line each; empty when it is met. */
export function coverageShortfall(report: CoverageReport, expected: CoverageExpectation): string[] {
  const missing: string[] = [];
  const op = (id: string): OperationCoverage | undefined => report.operations[id];
  const wanted = expected.operations === 'all' ? Object.keys(report.operations) : expected.operations ?? [];
  for (const id of wanted) {
    if (!op(id)) missing.push(`${id}: is not a Purple Dot operation`);
    else if (op(id)!.calls === 0) missing.push(`${id}: never called`);
  }
  for (const [id, statuses] of Object.entries(expected.statuses ?? {})) {
    for (const status of statuses) if (!op(id)?.statuses[String(status)]) missing.push(`${id}: never answered ${status}`);
  }
  for (const id of expected.paged ?? []) if (!op(id)?.paged) missing.push(`${id}: never paged past the first page`);
  for (const [id, filters] of Object.entries(expected.filters ?? {})) {
    for (const filter of filters) if (!op(id)?.filters.includes(filter)) missing.push(`${id}: never filtered by ${filter}`);
  }
  for (const kind of expected.faults ?? []) if (!report.faults[kind]) missing.push(`fault ${kind}: never met`);
  if (expected.allConforming) {
    for (const [id, o] of Object.entries(report.operations)) if (o.nonConforming > 0) missing.push(`${id}: ${o.nonConforming} request(s) broke the spec`);
  }
  return missing;
}

/** The report as a table for a terminal or a CI log. */
export function formatCoverage(report: CoverageReport): string {
  const rows = Object.entries(report.operations).map(([id, o]) => [
    id,
    String(o.calls),
    Object.entries(o.statuses).map(([s, n]) => `${s}×${n}`).join(' ') || '-',
    o.paged ? 'yes' : '-',
    o.filters.join(', ') || '-',
    o.nonConforming ? String(o.nonConforming) : '-',
  ]);
  const header = ['operation', 'calls', 'statuses', 'paged', 'filters', 'broke spec'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const faults = Object.entries(report.faults).map(([k, n]) => `${k}×${n}`).join(' ') || 'none';
  const touched = Object.keys(report.operations).length - report.untouched.length;
  return [line(header), ...rows.map(line), '', `${touched} of ${Object.keys(report.operations).length} operations called, ${report.calls} calls; faults met: ${faults}`].join('\n');
}
