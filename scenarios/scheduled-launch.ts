import { REFERENCE_DATE, defineScenario } from '../src/engine/scenario.ts';

const DAY = 86_400_000;

export const scheduledLaunch = defineScenario({
  name: 'scheduled-launch',
  summary: 'A SCHEDULED waitlist launching 7 days after the reference date (public state SCHEDULED, is_scheduled true); advance the clock past its launch_date and it goes LIVE.',
  build(b) {
    b.daysBefore(10);
    const item = b.product();
    b.waitlist(item, 20, {
      state: 'SCHEDULED',
      launch_date: new Date(REFERENCE_DATE.getTime() + 7 * DAY).toISOString(),
      labels: ['drop'],
    });
  },
});
