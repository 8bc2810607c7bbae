// The cart page: change quantities, remove lines, see the totals.

import { shopperMessage } from './api.js';
import { currentCart, lineName, loadCart, removeLine, updateLine } from './cart.js';
import { announce, h, hidden, money, productImage, show, totalsBlock } from './dom.js';

function lineRow(line) {
  const title = lineName(line);
  const id = `qty-${line.id}`;
  const errorBox = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert' });
  const quantity = h('input', { id, type: 'number', min: 0, max: 999, value: line.quantity, inputmode: 'numeric',
    class: 'qty', 'aria-describedby': `${id}-error` });

  const apply = async (change, done) => {
    errorBox.textContent = '';
    try {
      const errors = await change();
      if (!errors.length) { announce(done); renderLines(id); return; }
      errorBox.textContent = errors.map(shopperMessage).join(' ');
      quantity.setAttribute('aria-invalid', 'true');
      quantity.focus();
    } catch (error) {
      errorBox.textContent = error.message;
    }
  };
  quantity.addEventListener('change', () => {
    const wanted = Number(quantity.value);
    if (!Number.isInteger(wanted) || wanted < 0 || quantity.value === '') {
      errorBox.textContent = 'Enter a whole number: 0 removes the item.';
      return;
    }
    apply(() => updateLine(line, wanted), wanted === 0 ? `Removed ${title}.` : `${title}: quantity ${wanted}.`);
  });
  const remove = h('button', { type: 'button', class: 'link-button' }, 'Remove', hidden(` ${title}`));
  remove.addEventListener('click', () => apply(() => removeLine(line), `Removed ${title} from your cart.`));

  return h('li', { class: 'cart-line' },
    productImage(line.variant.image || line.product.featuredImage, 'small'),
    h('div', { class: 'line-info' },
      h('a', { href: `#/product/${encodeURIComponent(line.product.slug)}`, class: 'line-title' }, line.product.title),
      line.variant.selectedOptions.length ? h('span', { class: 'variant-title' }, line.variant.title) : null,
      h('span', { class: 'muted' }, `${money(line.unitPrice)} each`)),
    h('div', { class: 'line-qty' }, h('label', { for: id }, 'Qty', hidden(` of ${title}`)), quantity, remove),
    h('p', { class: 'line-total' }, money(line.total)),
    errorBox);
}

/** (Re)draws the lines; keyboard focus stays on `focusId` if that line is still there. */
function renderLines(focusId) {
  const body = document.getElementById('cart-body');
  const cart = currentCart();
  if (!body) return;
  if (!cart || !cart.lines.length) {
    body.replaceChildren(h('p', {}, 'Your cart is empty. ', h('a', { href: '#/' }, 'Browse products'), '.'));
  } else {
    body.replaceChildren(
      h('ul', { class: 'cart-lines', 'aria-label': 'Items in your cart' }, cart.lines.map(lineRow)),
      h('div', { class: 'cart-summary' },
        totalsBlock(cart, 'cart-total'),
        h('a', { class: 'button primary wide', href: '#/checkout' }, 'Check out')));
  }
  if (focusId) (document.getElementById(focusId) || document.querySelector('main h1')).focus();
}

export async function cartView(stillHere) {
  await loadCart();
  if (!stillHere()) return;
  show(h('section', {}, h('h1', {}, 'Your cart'), h('div', { id: 'cart-body' })), 'Cart');
  renderLines();
}
