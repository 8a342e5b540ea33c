import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SCENARIO, DEFAULT_SEED, findScenario, scenarios } from '../scenarios/index.ts';
import { createSimulator } from './simulator/app.ts';

const integer = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
  return n;
};

export function buildCli(): Command {
  const program = new Command('purple-dot-sim')
    .description('A stateful simulator of the Purple Dot pre-order API.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve the Purple Dot API and the /__sim control API')
    .option('--scenario <name>', 'scenario to load', DEFAULT_SCENARIO)
    .option('--seed <n>', 'seed of the scenario data', integer('--seed', 0, 4_294_967_295), DEFAULT_SEED)
    .option('--port <n>', 'port to listen on', integer('--port', 0, 65_535), 4010)
    .option('--host <host>', 'host to bind', '127.0.0.1')
    .option('--clock <mode>', 'system: follow the machine clock (real storefront tokens work); manual: start at the scenario time and move only through /__sim/clock', 'system')
    .action(async (options: { scenario: string; seed: number; port: number; host: string; clock: string }) => {
      if (!findScenario(options.scenario)) {
        program.error(`Unknown scenario "${options.scenario}". Run "purple-dot-sim scenarios" to list them.`);
      }
      if (options.clock !== 'system' && options.clock !== 'manual') program.error('--clock must be "system" or "manual".');
      const simulator = createSimulator({ scenario: options.scenario, seed: options.seed, clock: options.clock as 'system' | 'manual' });
      const running = await simulator.listen(options.port, options.host);
      const { public_api_key, private_access_token, shared_secret } = simulator.state.defaultStore().data.settings;
      process.stdout.write([
        `purple-dot-sim listening on ${running.url}`,
        `  scenario      ${options.scenario} (seed ${options.seed}, ${options.clock} clock)`,
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
    .action(() => {
      const width = Math.max(...scenarios.map((s) => s.name.length));
      for (const s of scenarios) process.stdout.write(`${s.name.padEnd(width)}  ${s.summary}\n`);
    });

  return program;
}

