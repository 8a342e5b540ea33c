/** What an element may hold: nodes and text (never HTML: every string becomes a text node, so data cannot inject markup). */
export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Handler | null | undefined>;

/** Makes an element: `on…` props become listeners, `true` an empty attribute, `false` and null nothing. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A table with a caption, or the sentence that says why there is nothing to show. */
export function table(caption: string, headers: string[], rows: Child[][], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell)))))));
}

/** A small state label, coloured by its value (see style.css). */
export const badge = (text: string): HTMLElement => h('span', { class: `badge badge-${text.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` }, text);

/** Children as one fragment, not yet in the page. */
export function fragment(...children: (Child | Child[])[]): DocumentFragment {
  const nodes = document.createDocumentFragment();
  nodes.append(...children.flat().filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return nodes;
}

/** Replaces what a container shows. */
export function show(container: Element, ...children: (Child | Child[])[]): void {
  container.replaceChildren(fragment(...children));
}

/** A labelled form field; the label wraps the control, so a click or a screen reader finds it. */
export const field = (label: string, control: HTMLElement): HTMLElement => h('label', { class: 'field' }, h('span', {}, label), control);

/** Reads a form's named controls as text. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) if (typeof value === 'string') values[name] = value.trim();
  return values;
}

/** A date-time as the store's clock writes it, shortened for a table. */
export const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—');

/** A pretty-printed JSON block. */
export const json = (value: unknown): HTMLElement => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
