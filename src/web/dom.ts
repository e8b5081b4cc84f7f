/** Tiny DOM helpers. Text always goes in as text nodes, never as markup. */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Listeners = { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };

export interface Props {
  class?: string;
  /** Set with setAttribute (aria-*, data-*, for, …); null, undefined and false leave the attribute out. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  on?: Listeners;
  /** Anything else is assigned as a DOM property (type, value, disabled, hidden, textContent, …). */
  [property: string]: unknown;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === 'class') element.className = String(value);
    else if (key === 'attrs') setAttributes(element, value as NonNullable<Props['attrs']>);
    else if (key === 'on') {
      for (const [type, listener] of Object.entries(value as Listeners)) element.addEventListener(type, listener as EventListener);
    } else (element as unknown as Record<string, unknown>)[key] = value;
  }
  append(element, children);
  return element;
}

export function setAttributes(element: Element, attrs: NonNullable<Props['attrs']>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

function nodesOf(children: readonly Child[]): Node[] {
  return children.flatMap((child): Node[] => {
    if (child === null || child === undefined || child === false) return [];
    if (Array.isArray(child)) return nodesOf(child);
    if (child instanceof Node) return [child];
    return [document.createTextNode(String(child))];
  });
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const node of nodesOf(children)) parent.appendChild(node);
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...nodesOf(children));
}

let nextId = 0;

export function uniqueId(prefix: string): string {
  return `${prefix}-${++nextId}`;
}

/** A labelled form control with an optional hint (linked by aria-describedby). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  control.id ||= uniqueId('field');
  const hintElement = hint ? h('p', { class: 'hint', id: uniqueId('hint') }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { htmlFor: control.id }, label), control, hintElement);
}

export function options(select: HTMLSelectElement, items: readonly { value: string; label: string }[], selected?: string): HTMLSelectElement {
  replace(
    select,
    items.map((item) => h('option', { value: item.value, selected: item.value === selected }, item.label)),
  );
  return select;
}

/** A message line: role=status for news, role=alert for problems. Empty until shown. */
export class Message {
  readonly element = h('p', { class: 'message', attrs: { role: 'status', 'aria-live': 'polite' } });

  show(text: string, kind: 'info' | 'success' | 'warning' | 'error' = 'info'): void {
    this.element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.element.className = `message message-${kind}`;
    this.element.textContent = text;
  }

  clear(): void {
    this.element.className = 'message';
    this.element.textContent = '';
  }
}

/** Disables a button while `work` runs, so a double tap sends one request. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
