// Small typed DOM helpers, so the rest of the page has no casts.

/** The element with `id`, checked to be of `type`; throws when the page markup is out of step. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type))
    throw new Error(`page markup: #${id} is missing or not a ${type.name}`);
  return element;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
