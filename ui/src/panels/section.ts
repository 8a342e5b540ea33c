import { ApiError } from '../api.ts';
import { h, show, type Child } from '../dom.ts';
import type { Context, Panel } from '../context.ts';

/**
 * A titled section whose body `render` fills from the picked store; a read that fails shows its message in
 * place (and the rest of the page carries on).
 */
export function panel(id: string, title: string, render: (ctx: Context) => Promise<Child | Child[]>, intro?: string): Panel {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const element = h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), intro ? h('p', { class: 'muted' }, intro) : null, body);
  return {
    element,
    async load(ctx) {
      try {
        const content = await render(ctx);
        show(body, ...(Array.isArray(content) ? content : [content]));
      } catch (error) {
        const message = error instanceof ApiError ? `${error.code}: ${error.message}` : (error as Error).message;
        show(body, h('p', { class: 'error', role: 'alert' }, `Could not read this: ${message}`));
      }
    },
  };
}

/** A button that runs a change through `ctx.act`. */
export const actionButton = (ctx: Context, label: string, change: () => Promise<unknown>, props: Record<string, string | boolean> = {}): HTMLButtonElement =>
  h('button', { type: 'button', ...props, onclick: () => void ctx.act(label, change) }, label);
