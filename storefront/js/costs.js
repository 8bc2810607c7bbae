// The cost breakdown: subtotal, discount, shipping, tax and total, of a cart
// (`Cart.cost`) or of an order (`Order.cost`), as a list or as table rows.

import { h, money } from './dom.js';

const minus = (m) => `−${money(m)}`;
const isZero = (m) => m.minorUnits === 0;

function taxNames(taxLines) {
  return (taxLines || []).map((t) => `${t.title} ${Number(t.ratePercentage)}%`).join(', ');
}

/**
 * [{ key, label, value, note }] for `cost`. `shippingTitle` is the chosen delivery
 * (null while there is none); `codes` the codes that took something off; `currency`
 * what every amount is in, named beside the total (a buyer abroad pays in it).
 */
export function costRows(cost, { taxLines, shippingTitle, codes, requiresShipping, currency }) {
  const rows = [{ key: 'subtotal', label: 'Subtotal', value: money(cost.subtotal) }];
  if (!isZero(cost.discount)) {
    rows.push({ key: 'discount', label: 'Discount', note: (codes || []).join(', '), value: minus(cost.discount) });
  }
  if (requiresShipping && !shippingTitle) {
    rows.push({ key: 'shipping', label: 'Shipping', value: 'Calculated from your address', pending: true });
  } else if (requiresShipping || !isZero(cost.shipping)) {
    rows.push({ key: 'shipping', label: 'Shipping', note: shippingTitle,
      value: isZero(cost.shipping) ? 'Free' : money(cost.shipping) });
  }
  if (!cost.tax) {
    rows.push({ key: 'tax', label: 'Tax', value: 'Calculated from your address', pending: true });
  } else {
    rows.push({ key: 'tax', label: cost.taxesIncluded ? 'Including tax' : 'Tax', note: taxNames(taxLines),
      value: money(cost.tax) });
  }
  rows.push({ key: 'total', label: 'Total', note: currency, value: money(cost.total), grand: true });
  return rows;
}

/** The rows as a definition list; each amount has the id `${prefix}-${key}`. */
export function costList(rows, prefix) {
  return h('dl', { class: 'totals', id: `${prefix}-costs` }, rows.map((row) =>
    h('div', { class: row.grand ? 'grand' : null },
      h('dt', {}, row.label, row.note ? h('span', { class: 'cost-note' }, row.note) : null),
      h('dd', { id: `${prefix}-${row.key}`, class: row.pending ? 'pending' : null }, row.value))));
}

/** The rows as <tr>s of a table's footer, label spanning `span` columns. */
export function costTableRows(rows, prefix, span) {
  return rows.map((row) => h('tr', { class: row.grand ? 'grand' : null },
    h('th', { scope: 'row', colspan: span }, row.label, row.note ? h('span', { class: 'cost-note' }, row.note) : null),
    h('td', { class: 'num', id: `${prefix}-${row.key}` }, row.value)));
}

/** The breakdown of an order, as it was charged. */
export function orderCostRows(order) {
  return costRows(order.cost, {
    taxLines: order.taxLines,
    shippingTitle: order.shippingLine ? order.shippingLine.title : null,
    codes: order.discountApplications.map((d) => d.code),
    requiresShipping: Boolean(order.shippingLine),
    currency: order.cost.total.currencyCode,
  });
}

/** The breakdown of a cart, as checkout would charge it now. */
export function cartCostRows(cart) {
  return costRows(cart.cost, {
    taxLines: cart.taxLines,
    shippingTitle: cart.selectedDeliveryOption ? cart.selectedDeliveryOption.title : null,
    codes: cart.discountCodes.filter((c) => c.applicable).map((c) => c.code),
    requiresShipping: cart.requiresShipping,
    currency: cart.currencyCode,
  });
}
