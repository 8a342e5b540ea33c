import { ApiError } from '../api.ts';
import { fragment, h, show, type Child } from '../dom.ts';
import type { Context, Panel } from '../context.ts';

type Control = HTMLInputElement | HTMLSelectElement;
const CONTROLS = 'input[name], select[name]';

/** A form control's place in a panel: its form's label and its name, the same across re-renders. */
const keyOf = (control: Element): string | undefined => {
  const name = control.getAttribute('name');
  const form = control.closest('form')?.getAttribute('aria-label');
  return name && form ? `${form}|${name}` : undefined;
};

const changed = (control: Control): boolean =>
  control instanceof HTMLSelectElement ? [...control.options].some((o) => o.selected !== o.defaultSelected) : control.value !== control.defaultValue;

/**
 * The controls of `body` a re-render leaves in the page as they are, each with its counterpart in the fresh
 * render: the one with the focus, and every input edited since it was drawn. A control drawn anew loses its
 * caret, its selection and its undo; a number field's selection cannot even be read to be put back, so a
 * field selected whole as a refresh landed got the next keystroke added ('0' typed over '7' gave '70' or '07').
 * An edited select is drawn anew with its value put back instead (keepInput), so its options stay current.
 */
function controlsToKeep(body: HTMLElement, fresh: ParentNode): [Control, Control][] {
  const counterparts = new Map<string, Control>();
  for (const control of fresh.querySelectorAll<Control>(CONTROLS)) {
    const key = keyOf(control);
    if (key && !counterparts.has(key)) counterparts.set(key, control);
  }
  const kept: [Control, Control][] = [];
  for (const control of body.querySelectorAll<Control>(CONTROLS)) {
    // A select is drawn anew, focused or not, so its options stay current (keepInput puts its value and focus back).
    if (!(control instanceof HTMLInputElement)) continue;
    const focused = control === document.activeElement;
    const edited = control.type !== 'file' && changed(control);
    const counterpart = focused || edited ? counterparts.get(keyOf(control) ?? '') : undefined;
    if (counterpart && counterpart.tagName === control.tagName && counterpart.type === control.type) kept.push([control, counterpart]);
  }
  return kept;
}

/** The child of `parent` that is or holds `node`. */
function childHolding(parent: Node, node: Node): ChildNode | undefined {
  let at: Node | null = node;
  while (at && at.parentNode !== parent) at = at.parentNode;
  return at ? (at as ChildNode) : undefined;
}

/**
 * Makes `element`'s attributes those of `model`. A kept input keeps its `value` attribute: on an input not yet
 * typed into, changing it changes what the field shows and drops its selection (a refresh landing between
 * selecting a field whose drawn value moved, such as the clock's, and typing over it gave '08' for '0').
 */
function takeAttributes(element: Element, model: Element, kept: boolean): void {
  const taken = (name: string): boolean => !(kept && name === 'value');
  for (const name of element.getAttributeNames()) if (taken(name) && !model.hasAttribute(name)) element.removeAttribute(name);
  for (const name of model.getAttributeNames()) {
    const value = model.getAttribute(name)!;
    if (taken(name) && element.getAttribute(name) !== value) element.setAttribute(name, value);
  }
}

/**
 * Puts the children of `fresh` in `parent` in place of its own, except the kept controls (each paired with its
 * counterpart in `fresh`) and the elements around them, which never leave the page (taking a focused element
 * out and back loses its focus) and take their counterparts' attributes. Their event handlers stay those of the
 * earlier render, which was of the same store (see `load`) and reads nothing a refresh changes.
 */
function replaceAround(parent: ParentNode, fresh: ParentNode, kept: [Control, Control][]): void {
  /** Which of `parent`'s children stay, by the fresh child they stand for, with the kept controls they hold. */
  const staying = new Map<ChildNode, { old: ChildNode; kept: [Control, Control][] }>();
  const olds = new Set<ChildNode>();
  for (const pair of kept) {
    const old = childHolding(parent, pair[0]);
    const now = childHolding(fresh, pair[1]);
    if (!(old instanceof Element) || !(now instanceof Element) || old.tagName !== now.tagName) continue;
    const group = staying.get(now);
    if (group?.old === old) group.kept.push(pair);
    else if (!group && !olds.has(old)) {
      staying.set(now, { old, kept: [pair] });
      olds.add(old);
    }
  }
  for (const child of [...parent.childNodes]) if (!olds.has(child)) child.remove();
  let next = parent.firstChild;
  for (const now of [...fresh.childNodes]) {
    const group = staying.get(now);
    if (!group) {
      parent.insertBefore(now, next);
      continue;
    }
    const isKept = group.kept.some(([control]) => control === group.old);
    takeAttributes(group.old as Element, now as Element, isKept);
    if (!isKept) replaceAround(group.old as Element, now as Element, group.kept);
    next = group.old.nextSibling;
  }
}

/**
 * What a person is doing in a panel that a re-render draws anew: the values they picked or typed in controls
 * it does not keep (see controlsToKeep), and where the focus is when it was on a button or a link.
 */
function keepInput(body: HTMLElement): () => void {
  const values = new Map<string, string>();
  for (const control of body.querySelectorAll<Control>(CONTROLS)) {
    const key = keyOf(control);
    if (key && control.type !== 'file' && changed(control)) values.set(key, control.value);
  }
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused ? keyOf(focused) ?? focused.getAttribute('aria-label') ?? focused.textContent : null;
  return () => {
    for (const control of body.querySelectorAll<Control>(CONTROLS)) {
      const value = values.get(keyOf(control) ?? '');
      // A kept control already holds it, and setting even the same value again could move its caret.
      if (value === undefined || control.value === value) continue;
      if (control instanceof HTMLSelectElement && ![...control.options].some((o) => o.value === value)) continue;
      control.value = value;
    }
    if (focusKey === null || focused?.isConnected) return;
    [...body.querySelectorAll<HTMLElement>('input, select, button, summary, a')]
      .find((el) => (keyOf(el) ?? el.getAttribute('aria-label') ?? el.textContent) === focusKey)?.focus();
  };
}

/**
 * A titled section whose body `render` fills from the picked store; a read that fails shows its message in
 * place (and the rest of the page carries on).
 */
export function panel(id: string, title: string, render: (ctx: Context) => Promise<Child | Child[]>, intro?: string): Panel {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const element = h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), intro ? h('p', { class: 'muted' }, intro) : null, body);
  let shownStore: string | undefined;
  /** Loads started so far: one that finishes after a later one has started shows nothing (it read older state). */
  let started = 0;
  return {
    element,
    async load(ctx) {
      const mine = (started += 1);
      try {
        const content = await render(ctx);
        if (mine !== started) return;
        const fresh = fragment(content);
        // Input belongs to the store it was typed for.
        if (shownStore === ctx.store.id) {
          const restore = keepInput(body);
          replaceAround(body, fresh, controlsToKeep(body, fresh));
          restore();
        } else {
          show(body, fresh);
        }
        shownStore = ctx.store.id;
      } catch (error) {
        if (mine !== started) return;
        const message = error instanceof ApiError ? `${error.code}: ${error.message}` : (error as Error).message;
        show(body, h('p', { class: 'error', role: 'alert' }, `Could not read this: ${message}`));
      }
    },
  };
}

/** A button that runs a change through `ctx.act`. */
export const actionButton = (ctx: Context, label: string, change: () => Promise<unknown>, props: Record<string, string | boolean> = {}): HTMLButtonElement =>
  h('button', { type: 'button', ...props, onclick: () => void ctx.act(label, change) }, label);
