/**
 * A simulator with the process guard `serve` installs and two routes of a caller's own whose work throws
 * outside any handler (in a timer, in a promise): what the guard must survive. Prints its URL.
 */
import { createSimulator } from '../../src/http/app.ts';
import { guardProcess } from '../../src/http/request-context.ts';

const sim = createSimulator({ journalSize: 0 });
sim.app.get('/escape/timer', () => {
  setTimeout(() => {
    throw new Error('thrown in a timer');
  }, 1);
});
sim.app.get('/escape/promise', () => {
  void Promise.resolve().then(() => {
    throw new Error('thrown in a promise');
  });
});
guardProcess((line) => process.stderr.write(line));
const running = await sim.listen(0);
process.stdout.write(`${running.url}\n`);
