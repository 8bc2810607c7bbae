// Building the page: elements from data (never HTML strings), money, announcements.

import { locale } from './market.js';

/** h('p', {class: 'x', onclick: f}, 'text', child): an element; strings become text. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Text for screen readers only, such as which product a button is about. */
export const hidden = (text) => h('span', { class: 'visually-hidden' }, text);

/** A `Money` as the buyer reads it ("18,99 €" in German): its decimal string formatted, never computed on. */
export function money(m) {
  if (!m) return '';
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currencyCode }).format(m.amount);
  } catch (error) {
    return `${m.amount} ${m.currencyCode}`;
  }
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

let toastTimer = null;

/** Says `text` in a toast and to screen readers (the announcer is a live region). */
export function announce(text) {
  const box = document.getElementById('announcer');
  box.textContent = text;
  box.classList.add('visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('visible'), 4000);
}

/** Shows `messages` under the header until the next ones (what a cart change did, say); none hides it. */
export function showNotices(messages) {
  const box = document.getElementById('market-notice');
  box.replaceChildren(...messages.map((text) => h('p', {}, text)));
  box.hidden = !messages.length;
  if (messages.length) announce(messages.join(' '));
}

export function dismissAnnouncement() {
  document.getElementById('announcer').classList.remove('visible');
}

let firstView = true;

/** Puts `view` in <main>; after a navigation, moves focus to its heading. */
export function show(view, title) {
  const main = document.getElementById('main');
  main.replaceChildren(view);
  document.title = title ? `${title} · shopgraph store` : 'shopgraph store';
  if (!firstView) {
    const target = main.querySelector('h1') || main;
    target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  firstView = false;
}

/** A small page with a heading and a message (not found, failed to load). */
export function notice(title, ...message) {
  show(h('section', {}, h('h1', {}, title), h('p', {}, ...message)), title);
}

/** An `Image` ({url, altText}) as a thumbnail; a blank tile when there is none. */
export function productImage(image, size) {
  if (!image || !image.url) return h('div', { class: `thumb ${size}`, 'aria-hidden': 'true' });
  return h('img', { class: `thumb ${size}`, src: image.url, alt: image.altText || '', loading: 'lazy', width: 480, height: 360 });
}

export function totalsBlock(totals, totalId) {
  return h('dl', { class: 'totals' },
    h('div', {}, h('dt', {}, 'Subtotal'), h('dd', {}, money(totals.subtotal))),
    h('div', { class: 'grand' }, h('dt', {}, 'Total'), h('dd', { id: totalId }, money(totals.total))));
}
