// The confirmation page: order number, lines, what was charged (subtotal, discount,
// shipping, tax, total), the shipping address and live status (polling `order(id)`).

import { Q, gql } from './api.js';
import { costTableRows, orderCostRows } from './costs.js';
import { announce, h, money, notice, show } from './dom.js';
import { canPay, confirmWithBank } from './payment.js';

const POLL_UNSETTLED_MS = 2000;  // while the payment is not settled
const POLL_SETTLED_MS = 10000;   // afterwards: refunds, shipping
const UNSETTLED = new Set(['PENDING_PAYMENT', 'ACTION_REQUIRED']);
const UNPAID = new Set(['PENDING_PAYMENT', 'ACTION_REQUIRED', 'PAYMENT_FAILED', 'CANCELLED']);
const STATUS_WORDS = {
  PENDING_PAYMENT: 'Waiting for payment',
  ACTION_REQUIRED: 'Waiting for your bank',
  PAID: 'Paid',
  PAYMENT_FAILED: 'Payment failed',
  CANCELLED: 'Cancelled',
  PARTIALLY_REFUNDED: 'Partly refunded',
  REFUNDED: 'Refunded',
  DISPUTED: 'Payment disputed',
  FULFILLED: 'Shipped',
};
const STATUS_NOTES = {
  PENDING_PAYMENT: 'We are waiting for the payment to go through. This page updates by itself.',
  ACTION_REQUIRED: 'Your bank asks you to confirm this payment.',
  PAYMENT_FAILED: 'The payment did not go through and nothing was charged.',
  CANCELLED: 'This order was cancelled and nothing was charged.',
};
const BRANDS = { amex: 'American Express', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay' };

function cardBrand(brand) {
  if (!brand || brand.toLowerCase() === 'unknown') return 'card';
  return BRANDS[brand.toLowerCase().replace(/[\s_]/g, '')] || brand.charAt(0).toUpperCase() + brand.slice(1);
}

function linesTable(order) {
  const num = { class: 'num' };
  return h('table', { class: 'order-lines' },
    h('caption', { class: 'visually-hidden' }, 'Items in this order'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col', ...num }, 'Qty'),
      h('th', { scope: 'col', ...num }, 'Price'), h('th', { scope: 'col', ...num }, 'Total'))),
    h('tbody', {}, order.lines.map((line) => h('tr', {},
      h('td', {}, line.title, line.variantTitle && line.variantTitle !== 'Default'
        ? [' ', h('span', { class: 'variant-title' }, line.variantTitle)] : null),
      h('td', num, line.quantity),
      h('td', num, money(line.unitPrice)), h('td', num, money(line.total))))),
    h('tfoot', {}, costTableRows(orderCostRows(order), 'order', 3)));
}

/** "Confirm with your bank", for an order left waiting for 3-D Secure (say, after a reload). */
function bankButton(order, paint) {
  const button = h('button', { type: 'button', class: 'button primary' }, 'Confirm with your bank');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const current = (await gql(Q.checkoutConfirm, { orderId: order.id })).checkoutConfirm;
      const next = current.paymentAction ? await confirmWithBank(order.id, current.paymentAction.clientSecret) : current;
      if (next.order) paint(next.order);
      if (next.userErrors.length) announce(next.userErrors.map((e) => e.message).join(' '));
    } catch (error) {
      announce(error.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function render(order) {
  const parts = {
    heading: h('h1', { id: 'order-heading' }),
    status: h('span', { class: 'status', id: 'order-status' }),
    note: h('p', { class: 'status-note' }),
    action: h('div', { class: 'order-action' }),
    payment: h('p', { class: 'muted' }),
  };
  show(h('section', { class: 'confirmation', 'aria-labelledby': 'order-heading' },
    parts.heading,
    h('p', { class: 'order-number' }, 'Order number ', h('strong', { id: 'order-number' }, order.number)),
    h('p', { class: 'status-row', role: 'status' }, 'Status: ', parts.status),
    parts.note,
    parts.action,
    linesTable(order),
    order.shippingAddress ? h('div', { class: 'ship-to' }, h('h2', {}, 'Shipping to'),
      h('address', { id: 'order-address' }, order.shippingAddress.formatted.flatMap((line, i) => (i ? [h('br', {}), line] : [line]))),
      order.shippingLine ? h('p', { class: 'muted' }, order.shippingLine.title) : null) : null,
    h('p', { class: 'muted' }, `Confirmation for ${order.email}`),
    parts.payment,
    h('p', {}, h('a', { class: 'button', href: '#/' }, 'Continue shopping'))), `Order ${order.number}`);

  const paint = (o) => {
    parts.heading.textContent = UNPAID.has(o.status) ? (UNSETTLED.has(o.status) ? 'Almost done' : 'Your order')
      : 'Thank you for your order';
    parts.status.textContent = STATUS_WORDS[o.status] || o.status;
    parts.status.dataset.status = o.status;
    parts.status.className = `status status-${o.status.toLowerCase().replace(/_/g, '-')}`;
    parts.note.textContent = STATUS_NOTES[o.status] || '';
    if (o.payment && o.payment.cardLast4 && !UNPAID.has(o.status)) {
      parts.payment.textContent = `Paid with ${cardBrand(o.payment.cardBrand)} ending in ${o.payment.cardLast4}`;
    }
    if (o.status !== 'ACTION_REQUIRED') parts.action.replaceChildren();
    else if (canPay() && !parts.action.firstChild) parts.action.replaceChildren(bankButton(o, paint));
  };
  paint(order);
  return paint;
}

function poll(id, status, paint, stillHere) {
  setTimeout(async () => {
    if (!stillHere()) return;
    let next = status;
    if (!document.hidden) {
      try {
        const order = (await gql(Q.order, { id })).order;
        if (!stillHere()) return;
        if (order) { paint(order); next = order.status; }
      } catch (error) { /* the next tick tries again */ }
    }
    poll(id, next, paint, stillHere);
  }, UNSETTLED.has(status) ? POLL_UNSETTLED_MS : POLL_SETTLED_MS);
}

export async function orderView(id, stillHere) {
  let order;
  try {
    order = (await gql(Q.order, { id })).order;
  } catch (error) {
    if (stillHere()) notice('Your order', error.message);
    return;
  }
  if (!stillHere()) return;
  if (!order) {
    notice('Order not found', 'We could not find this order. ', h('a', { href: '#/' }, 'Continue shopping'), '.');
    return;
  }
  poll(id, order.status, render(order), stillHere);
}
