import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SCENARIO, DEFAULT_SEED, scenarios } from '../scenarios/index.ts';
import type { Scenario } from './engine/scenario.ts';
import { pendingWebhooks, type StateRestore } from './engine/state-log.ts';
import { FAULT_PROFILES } from './engine/faults.ts';
import { createSimulator, type RunningSimulator, type Simulator } from './http/app.ts';
import { isLoopback } from './http/control-plane.ts';
import { guardProcess } from './http/request-context.ts';
import { createRequestLog, LOG_LEVELS, type LogLevel } from './http/request-log.ts';
import { packageFileUrl } from './package-files.ts';
import { loadScenarioFile } from './scenario-file.ts';
import { runVerify } from './verify/command.ts';
import { VERIFY_SKU } from './verify/verify.ts';
import type { Consistency, Replica } from './replica/replica.ts';

const integer = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
  return n;
};

/** Errors of a command print the message, then that command's own help; exit code 1. */
async function ownScenarios(command: Command, path: string): Promise<Scenario[]> {
  try {
    return await loadScenarioFile(path);
  } catch (error) {
    return command.error(`error: cannot load --scenario-file ${path}: ${(error as Error).message}`);
  }
}

const SHUTDOWN_GRACE_MS = 10_000;

/** Webhooks a state file holds as due and not yet delivered: the restart sends them. */
const owedWebhooks = (restore: StateRestore): number => pendingWebhooks(restore.base, restore.operations).pending.length;

const packageVersion = (): string => (JSON.parse(readFileSync(packageFileUrl('package.json'), 'utf8')) as { version: string }).version;

/** Why `serve` could not listen, in one line a user can act on. */
export function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use: stop what uses it, or pick another port with --port (--port 0 takes any free port).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return `--host ${host} does not resolve to an address (${error.code}): give a name or IP address of this machine, e.g. 127.0.0.1 or 0.0.0.0.`;
    case 'EADDRNOTAVAIL':
      return `--host ${host} is not an address of this machine (EADDRNOTAVAIL): give one it has, e.g. 127.0.0.1 or 0.0.0.0.`;
    case 'EACCES':
      return `no permission to listen on port ${port} of ${host} (EACCES): ports below 1024 need privileges; pick another with --port.`;
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`;
  }
}

/** Applies `--faults` to the default store through the control API, so the rules are checked as any other; returns why not. */
function applyFaults(simulator: Simulator, value: string): string | undefined {
  const engine = simulator.engine;
  const refusal = (answer: { status: number; body: unknown }): string | undefined =>
    answer.status >= 400 ? (answer.body as { error: { message: string } }).error.message : undefined;
  if (Object.hasOwn(FAULT_PROFILES, value)) return refusal(engine.dispatchRaw('applyFaultProfile', { path: { profile: value } }));
  let rules: unknown;
  try {
    rules = JSON.parse(readFileSync(value, 'utf8'));
  } catch (error) {
    return `not a profile (${Object.keys(FAULT_PROFILES).join(', ')}) nor a readable JSON file: ${(error as Error).message}`;
  }
  if (!Array.isArray(rules)) return 'the file must hold a JSON array of fault rules';
  for (const [i, rule] of rules.entries()) {
    const why = refusal(engine.dispatchRaw('addFault', { body: rule }));
    if (why) return `rule ${i}: ${why}`;
  }
  return undefined;
}

/** Loads `--snapshot` into the default store through the control API, so it is checked as any import; returns why not. */
/** The banner's line for a shared log: where it is, which instance this is and what a read waits for. */
function sharedState(replica: Replica): string {
  const status = replica.status();
  return `${status.redis} (namespace ${status.namespace}, instance ${status.instance}, ${status.consistency}, ${replica.engine.stores.list().length} store(s))`;
}

async function loadSnapshot(simulator: Simulator, path: string): Promise<string | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `not a readable JSON file: ${(error as Error).message}`;
  }
  // Either the snapshot itself or the control API's answer carrying it in `data`.
  const data = (body as { meta?: unknown; data?: unknown } | null)?.meta !== undefined ? (body as { data: unknown }).data : body;
  // Through the shared log when there is one: every instance must load it.
  const answer = await (simulator.replica ? simulator.replica.dispatch('importSnapshot', { body: data }) : simulator.engine.dispatchRaw('importSnapshot', { body: data }));
  return answer.status >= 400 ? (answer.body as { error: { message: string } }).error.message : undefined;
}

export function buildCli(): Command {
  const program = new Command('purple-dot-sim')
    .description('A stateful simulator of the Purple Dot pre-order API.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError();

  const serve = program
    .command('serve')
    .description('serve the Purple Dot API and the /__sim control API')
    .option('--scenario <name>', `scenario of the default store (default: ${DEFAULT_SCENARIO}, or the first of --scenario-file)`)
    .option('--scenario-file <path>', 'a JavaScript module exporting scenarios of your own (defineScenario); they join the built-in ones')
    .option('--seed <n>', 'seed of the scenario data', integer('--seed', 0, 4_294_967_295), DEFAULT_SEED)
    .option('--port <n>', 'port to listen on', integer('--port', 0, 65_535), 4010)
    .option('--host <host>', 'host to bind', '127.0.0.1')
    .addOption(new Option('--clock <mode>', 'system: follow the machine clock (real storefront tokens work); manual: start at the scenario time and move only through /__sim/clock')
      .choices(['system', 'manual']).default('system'))
    .option('--faults <profile-or-file>', `fault rules for the default store from the start: a profile (${Object.keys(FAULT_PROFILES).join(', ')}) or a JSON file holding an array of rules`)
    .option('--journal-size <n>', 'requests the journal keeps (GET /__sim/journal); 0 keeps none', integer('--journal-size', 0, 1_000_000), 10_000)
    .addOption(new Option('--control-token <token>', 'when set, /__sim needs Authorization: Bearer <token>; required when --host is not loopback')
      .env('PURPLE_DOT_SIM_CONTROL_TOKEN'))
    .option('--allowed-host <name...>', 'Host names accepted besides this machine\'s own (a proxy or a container name)')
    .option('--max-connections <n>', 'connections served at once; more are answered 503 and closed', integer('--max-connections', 1, 1_000_000), 1_000)
    .option('--state-file <path>', 'keep every acknowledged change in this file (crash-safe) and start from it when it exists; it then decides the stores, their data and clocks')
    .option('--snapshot <file>', 'load this snapshot (a GET /__sim/snapshot answer) into the default store at start')
    .option('--state <url>', 'share the stores with other instances through a log on Redis: redis://HOST:PORT[/DB][?namespace=NAME]; the log then decides the stores, their data and clocks')
    .addOption(new Option('--consistency <mode>', 'with --state: read-your-writes catches up with the log before each read (one Redis round trip); eventual answers from what this instance has (load tests)')
      .choices(['read-your-writes', 'eventual']).default('read-your-writes'))
    .addOption(new Option('--log-level <level>', 'info: one line per request; warn: only requests that broke the contract, faults and 5xx; silent: none')
      .choices([...LOG_LEVELS]).default('info'))
    .action(async (options: { scenario?: string; scenarioFile?: string; seed: number; port: number; host: string; clock: 'system' | 'manual'; faults?: string; journalSize: number; maxConnections: number; logLevel: LogLevel; controlToken?: string; allowedHost?: string[]; stateFile?: string; snapshot?: string; state?: string; consistency: Consistency }) => {
      const loopback = isLoopback(options.host);
      if (!loopback && !options.controlToken) {
        serve.error(`error: --host ${options.host} lets other machines reach the control API, which can read every store's credentials and reset them: `
          + 'give --control-token (or PURPLE_DOT_SIM_CONTROL_TOKEN), or keep the default --host 127.0.0.1.');
      }
      if (options.controlToken !== undefined && !/^[!-~]{16,200}$/.test(options.controlToken)) {
        serve.error('error: --control-token must be 16 to 200 visible ASCII characters, no spaces.');
      }
      const own = options.scenarioFile ? await ownScenarios(serve, options.scenarioFile) : [];
      const scenario = options.scenario ?? own[0]?.name ?? DEFAULT_SCENARIO;
      if (![...scenarios, ...own].some((s) => s.name === scenario)) {
        serve.error(`error: unknown scenario "${scenario}". Run "purple-dot-sim scenarios" to list them.`);
      }
      if (options.state && options.stateFile) serve.error('error: give --state (a log shared on Redis) or --state-file (a file of this instance), not both.');
      let simulator: Simulator | undefined;
      const log = createRequestLog(options.logLevel, (text) => process.stdout.write(text));
      try {
        const common = {
          scenario, seed: options.seed, clock: options.clock, scenarios: own, journalSize: options.journalSize, onRequest: log?.record,
          controlToken: options.controlToken, allowedHosts: options.allowedHost,
        };
        simulator = options.state
          ? await createSimulator({ ...common, state: options.state, consistency: options.consistency })
          : createSimulator({ ...common, stateFile: options.stateFile });
      } catch (error) {
        serve.error(`error: cannot start: ${(error as Error).message}`);
      }
      if (!simulator) return;
      for (const note of simulator.stateFile?.notes ?? []) process.stderr.write(`purple-dot-sim: ${note}\n`);
      const restored = simulator.stateFile?.restore;
      if (options.snapshot && simulator.replica && !simulator.replica.began) {
        // Every instance is started the same way: only the one that began the log loads the snapshot into it.
        process.stderr.write(`purple-dot-sim: --snapshot ${options.snapshot} not loaded: the shared log already holds the stores (another instance began it)\n`);
      } else if (options.snapshot) {
        if (restored) serve.error(`error: --snapshot would replace the state ${options.stateFile} already holds; give one or the other (or move the state file aside).`);
        const refused = await loadSnapshot(simulator, options.snapshot);
        if (refused) serve.error(`error: --snapshot ${options.snapshot}: ${refused}`);
        await simulator.stateFile?.flush();
      }
      if (options.faults) {
        const refused = applyFaults(simulator, options.faults);
        if (refused) serve.error(`error: --faults ${options.faults}: ${refused}`);
      }
      let running: RunningSimulator;
      try {
        running = await simulator.listen(options.port, options.host, { maxConnections: options.maxConnections });
      } catch (error) {
        process.stderr.write(`purple-dot-sim: ${listenFailure(error as NodeJS.ErrnoException, options.host, options.port)}\n`);
        simulator.engine.close();
        await simulator.replica?.close();
        // Nothing is served: no reason to wait for anything else to finish.
        process.exit(1);
      }
      guardProcess((line) => process.stderr.write(line));
      // Secrets are printed only where nobody else can reach them: on loopback. Elsewhere GET /__sim/status shows them (with the token).
      const shown = (secret: string): string => (loopback ? secret : `${secret.slice(0, 4)}…(masked: bound beyond loopback)`);
      const defaultStore = simulator.engine.defaultStore();
      const { public_api_key } = defaultStore.credentials;
      const private_access_token = shown(simulator.engine.defaultStore().credentials.private_access_token);
      const shared_secret = shown(simulator.engine.defaultStore().credentials.shared_secret);
      process.stdout.write([
        `purple-dot-sim listening on ${running.url}`,
        `  scenario      ${defaultStore.scenario} (seed ${defaultStore.seed}, ${defaultStore.clock.mode} clock)`,
        ...(options.stateFile ? [`  state file    ${options.stateFile} (${restored
          ? `restored ${simulator.engine.stores.list().length} store(s) and ${[...restored.operations].filter((e) => e.t === 'op').length} change(s)${
            owedWebhooks(restored) > 0 ? `, ${owedWebhooks(restored)} webhook(s) still to deliver` : ''}; --scenario, --seed and --clock apply only to a new file`
          : 'new'})`] : []),
        ...(simulator.replica ? [`  shared state  ${sharedState(simulator.replica)}; --scenario, --seed and --clock apply only to a new log`] : []),
        `  public key    ${public_api_key}        ?api_key=…      /api/v1`,
        `  shop domain   ${defaultStore.shopDomain}  ?shop=… in place of api_key (the SDK's way)`,
        `  access token  ${private_access_token}   X-Purple-Dot-Access-Token  /admin/api/v1`,
        `  shared secret ${shared_secret}        shopper tokens for GET /api/v1/pre-orders`,
        `  control API   ${running.url}/__sim`,
        // The page asks for the token itself; it is never printed into the URL (shell history, screen shares).
        `  dashboard     ${running.url}/__sim/ui/${options.controlToken ? '  (asks for the control token)' : ''}`,
        '',
      ].join('\n'));
      // SIGTERM and SIGINT: stop accepting, let requests under way finish (10 s at most), then exit 0. Webhook
      // attempts under way finish in what is left of that time; webhooks not delivered stay in the state file.
      const stop = () => {
        const deadline = Date.now() + SHUTDOWN_GRACE_MS;
        void running.close({ graceMs: SHUTDOWN_GRACE_MS })
          .then(() => simulator.engine.shutdown({ graceMs: Math.max(0, deadline - Date.now()) }))
          .then(() => simulator.stateFile?.close())
          .then(() => simulator.replica?.close())
          .then(() => {
            // The last lines of the log, then exit once stdout has taken them (a pipe is written asynchronously).
            log?.flush();
            process.stdout.write('', () => process.exit(0));
          });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const list = program
    .command('scenarios')
    .description('list the named scenarios')
    .option('--scenario-file <path>', 'also list the scenarios this module exports')
    .action(async (options: { scenarioFile?: string }) => {
      const all = [...scenarios, ...(options.scenarioFile ? await ownScenarios(list, options.scenarioFile) : [])];
      const width = Math.max(...all.map((s) => s.name.length));
      for (const s of all) process.stdout.write(`${s.name.padEnd(width)}  ${s.summary}\n`);
    });

  program
    .command('verify')
    .summary('check a server against the Purple Dot spec (exit code 0: all passed, 1: a violation, 2: bad input)')
    .description('Checks a server (this simulator, a mock, or Purple Dot itself with your own credentials) against the Purple Dot '
      + 'spec: every read operation, with IDs, handles, SKUs and emails found in its own answers, and a 401 without credentials. '
      + 'Prints one row per check. Exit code 0 when every check passes (skipped ones included), 1 on any violation, 2 on bad input '
      + 'or a server that does not answer.')
    .option('--base-url <url>', 'the server to check, e.g. http://127.0.0.1:4010 (required)')
    .option('--api-key <key>', 'the store\'s public API key; without it the public operations are skipped')
    .option('--access-token <token>', 'the store\'s private access token; without it the private operations are skipped')
    .option('--shared-secret <secret>', 'signs a shopper token for GET /api/v1/pre-orders; without it that check is skipped')
    .option('--allow-writes', `also POST /admin/api/v1/inventory (0 units of ${VERIFY_SKU}, a SKU no product uses)`)
    .option('--junit <file>', 'also write the results as JUnit XML to this file')
    .option('--timeout <ms>', 'how long to wait for each answer', integer('--timeout', 1, 600_000), 10_000)
    // Bad input to verify (an unknown option, a bad --timeout) exits 2, like a bad --base-url: 1 means a check failed.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(async (options: { baseUrl?: string; apiKey?: string; accessToken?: string; sharedSecret?: string; allowWrites?: boolean; junit?: string; timeout: number }) => {
      const { code } = await runVerify({ ...options, baseUrl: options.baseUrl ?? '', timeoutMs: options.timeout }, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
      process.exitCode = code;
    });

  return program;
}

