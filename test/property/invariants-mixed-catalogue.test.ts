/**
 * Random sequences of control and API operations on the mixed-catalogue scenario, every invariant checked after every
 * step (the suite and its seed: invariants.ts; the other scenario has a file of its own so both run at once).
 */
import { invariantSuite } from './invariants.ts';

invariantSuite('mixed-catalogue');
