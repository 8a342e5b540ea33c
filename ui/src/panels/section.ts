import { ApiError } from '../api.ts';
import { h, show, type Child } from '../dom.ts';
import type { Context, Panel } from '../context.ts';

type Control = HTMLInputElement | HTMLSelectElement;

/** A form control's place in a panel: its form's label and its name, the same across re-renders. */
const keyOf = (control: Element): string | undefined => {
  const name = control.getAttribute('name');
  const form = control.closest('form')?.getAttribute('aria-label');
  return name && form ? `${form}|${name}` : undefined;
};

const changed = (control: Control): boolean =>
  control instanceof HTMLSelectElement ? [...control.options].some((o) => o.selected !== o.defaultSelected) : control.value !== control.defaultValue;

/**
 * What a person is doing in a panel: the values they typed or picked and where the focus is. A refresh (a
 * journal entry arriving) re-renders the panel, and must not take their half-filled form or their place away.
 */
function keepInput(body: HTMLElement): () => void {
  const values = new Map<string, string>();
  for (const control of body.querySelectorAll<Control>('input[name], select[name]')) {
    const key = keyOf(control);
    if (key && control.type !== 'file' && changed(control)) values.set(key, control.value);
  }
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused ? keyOf(focused) ?? focused.getAttribute('aria-label') ?? focused.textContent : null;
  // Where the caret or the selection was: typing that lands after the refresh replaces what was selected, as it
  // would have without the refresh (a field selected whole and typed over must not get the text appended).
  const selection = focused instanceof HTMLInputElement ? selectionOf(focused) : undefined;
  return () => {
    for (const control of body.querySelectorAll<Control>('input[name], select[name]')) {
      const value = values.get(keyOf(control) ?? '');
      if (value === undefined) continue;
      if (control instanceof HTMLSelectElement && ![...control.options].some((o) => o.value === value)) continue;
      control.value = value;
    }
    if (focusKey === null) return;
    const again = [...body.querySelectorAll<HTMLElement>('input, select, button, summary, a')]
      .find((el) => (keyOf(el) ?? el.getAttribute('aria-label') ?? el.textContent) === focusKey);
    again?.focus();
    if (selection && again instanceof HTMLInputElement) {
      try {
        again.setSelectionRange(selection.start, selection.end, selection.direction);
      } catch {
        // An input type without a selection (number, date): the focus is all there is to keep.
      }
    }
  };
}

/** An input's selection, or undefined for an input type that has none. */
function selectionOf(input: HTMLInputElement): { start: number; end: number; direction: 'forward' | 'backward' | 'none' } | undefined {
  try {
    if (input.selectionStart === null || input.selectionEnd === null) return undefined;
    return { start: input.selectionStart, end: input.selectionEnd, direction: input.selectionDirection ?? 'none' };
  } catch {
    return undefined;
  }
}

/**
 * A titled section whose body `render` fills from the picked store; a read that fails shows its message in
 * place (and the rest of the page carries on).
 */
export function panel(id: string, title: string, render: (ctx: Context) => Promise<Child | Child[]>, intro?: string): Panel {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const element = h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), intro ? h('p', { class: 'muted' }, intro) : null, body);
  let shownStore: string | undefined;
  return {
    element,
    async load(ctx) {
      try {
        const content = await render(ctx);
        // Input belongs to the store it was typed for.
        const restore = shownStore === ctx.store.id ? keepInput(body) : () => undefined;
        shownStore = ctx.store.id;
        show(body, ...(Array.isArray(content) ? content : [content]));
        restore();
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
