/** The `verify` command as a function: runs the checks, prints the table, writes JUnit XML, gives the exit code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatTable, junitXml } from './report.ts';
import { verify, VerifyInputError, type VerifyOptions, type VerifyReport } from './verify.ts';

export interface VerifyCommandOptions extends VerifyOptions {
  /** Where to write JUnit XML, if anywhere. */
  junit?: string;
}

export interface VerifyOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** 0: every check passed (or was skipped); 1: a check failed; 2: bad input to verify itself. */
export type VerifyExitCode = 0 | 1 | 2;

export async function runVerify(options: VerifyCommandOptions, out: VerifyOutput): Promise<{ code: VerifyExitCode; report?: VerifyReport }> {
  let report: VerifyReport;
  try {
    report = await verify(options);
  } catch (error) {
    if (!(error instanceof VerifyInputError)) throw error;
    out.stderr(`purple-dot-sim verify: ${error.message}\n`);
    return { code: 2 };
  }
  out.stdout(formatTable(report));
  if (options.junit !== undefined) {
    const file = resolve(options.junit);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, junitXml(report));
    } catch (error) {
      out.stderr(`purple-dot-sim verify: cannot write --junit ${options.junit}: ${(error as Error).message}\n`);
      return { code: 2, report };
    }
    out.stdout(`JUnit XML written to ${file}\n`);
  }
  return { code: report.ok ? 0 : 1, report };
}
