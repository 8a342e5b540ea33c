import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SCENARIO, DEFAULT_SEED, scenarios } from '../scenarios/index.ts';
import type { Scenario } from './engine/scenario.ts';
import { createSimulator, type Simulator } from './http/app.ts';
import { loadScenarioFile } from './scenario-file.ts';

const integer = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
  return n;
};

async function ownScenarios(program: Command, path: string): Promise<Scenario[]> {
  try {
    return await loadScenarioFile(path);
  } catch (error) {
    return program.error(`Cannot load --scenario-file ${path}: ${(error as Error).message}`);
  }
}

export function buildCli(): Command {
  const program = new Command('purple-dot-sim')
    .description('A stateful simulator of the Purple Dot pre-order API.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the Purple Dot API and the /__sim control API')
    .option('--scenario <name>', `scenario of the default store (default: ${DEFAULT_SCENARIO}, or the first of --scenario-file)`)
    .option('--scenario-file <path>', 'a JavaScript module exporting scenarios of your own (defineScenario); they join the built-in ones')
    .option('--seed <n>', 'seed of the scenario data', integer('--seed', 0, 4_294_967_295), DEFAULT_SEED)
    .option('--port <n>', 'port to listen on', integer('--port', 0, 65_535), 4010)
    .option('--host <host>', 'host to bind', '127.0.0.1')
    .option('--clock <mode>', 'system: follow the machine clock (real storefront tokens work); manual: start at the scenario time and move only through /__sim/clock', 'system')
    .action(async (options: { scenario?: string; scenarioFile?: string; seed: number; port: number; host: string; clock: string }) => {
      const own = options.scenarioFile ? await ownScenarios(program, options.scenarioFile) : [];
      const scenario = options.scenario ?? own[0]?.name ?? DEFAULT_SCENARIO;
      if (![...scenarios, ...own].some((s) => s.name === scenario)) {
        program.error(`Unknown scenario "${scenario}". Run "purple-dot-sim scenarios" to list them.`);
      }
      if (options.clock !== 'system' && options.clock !== 'manual') program.error('--clock must be "system" or "manual".');
      let simulator: Simulator | undefined;
      try {
        simulator = createSimulator({ scenario, seed: options.seed, clock: options.clock as 'system' | 'manual', scenarios: own });
      } catch (error) {
        program.error(`Cannot start: ${(error as Error).message}`);
      }
      if (!simulator) return;
      const running = await simulator.listen(options.port, options.host);
      const { public_api_key, private_access_token, shared_secret } = simulator.engine.defaultStore().credentials;
      process.stdout.write([
        `purple-dot-sim listening on ${running.url}`,
        `  scenario      ${scenario} (seed ${options.seed}, ${options.clock} clock)`,
        `  public key    ${public_api_key}        ?api_key=…      /api/v1`,
        `  access token  ${private_access_token}   X-Purple-Dot-Access-Token  /admin/api/v1`,
        `  shared secret ${shared_secret}        shopper tokens for GET /api/v1/pre-orders`,
        `  control API   ${running.url}/__sim`,
        '',
      ].join('\n'));
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('scenarios')
    .description('list the named scenarios')
    .option('--scenario-file <path>', 'also list the scenarios this module exports')
    .action(async (options: { scenarioFile?: string }) => {
      const all = [...scenarios, ...(options.scenarioFile ? await ownScenarios(program, options.scenarioFile) : [])];
      const width = Math.max(...all.map((s) => s.name.length));
      for (const s of all) process.stdout.write(`${s.name.padEnd(width)}  ${s.summary}\n`);
    });

  return program;
}

