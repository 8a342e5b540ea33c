import { ApiError } from './api.ts';
import { h, show } from './dom.ts';

/** The line under the header that says what the last change did, or why the simulator refused it. */
export interface Notices {
  working(label: string): void;
  done(label: string): void;
  failed(label: string, error: unknown): void;
}

export const describeError = (error: unknown): string =>
  error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);

export function createNotices(container: HTMLElement): Notices {
  const status = h('p', { role: 'status', class: 'notice' });
  const alert = h('div', { role: 'alert' });
  show(container, status, alert);
  return {
    working(label) {
      show(alert);
      status.textContent = `${label}…`;
    },
    done(label) {
      status.textContent = `${label}: done.`;
    },
    failed(label, error) {
      status.textContent = '';
      show(alert, h('p', { class: 'notice error' }, h('strong', {}, `${label} was refused. `), describeError(error), ' ',
        h('button', { type: 'button', class: 'small', onclick: () => show(alert) }, 'Dismiss')));
    },
  };
}
