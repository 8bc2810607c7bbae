// The filter sidebar: the facets of a product list (availability, price, option values,
// tags) with their counts, kept in the URL (`available=1`, `min=10&max=50`, `option=Size:M`,
// `tag=gift`). Prices are in the buyer's market's currency, as the shop answers them.
// A change applies to the filters in the URL now, so quick clicks on a page still
// being replaced add up instead of undoing each other.

import { h } from './dom.js';
import { decimalsOf } from './market.js';

/** The filters the URL asks for: {available, min, max, options: [[name, value]], tags}; min and max decimal strings or ''. */
export function filtersFrom(params) {
  const options = params.getAll('option').map((text) => {
    const at = text.indexOf(':');
    return at > 0 ? [text.slice(0, at), text.slice(at + 1)] : null;
  }).filter(Boolean);
  return { available: params.get('available') === '1', min: params.get('min') || '', max: params.get('max') || '',
    options, tags: params.getAll('tag') };
}

/** The API's `ProductFilter` for `filters`; null when nothing is chosen. */
export function productFilter(filters) {
  const input = {};
  if (filters.available) input.available = true;
  if (filters.min || filters.max) input.price = { min: filters.min || null, max: filters.max || null };
  if (filters.options.length) input.variantOption = filters.options.map(([name, value]) => ({ name, value }));
  if (filters.tags.length) input.tag = filters.tags;
  return Object.keys(input).length ? input : null;
}

export const anyFilter = (filters) => productFilter(filters) !== null;

/** URL parameters for `filters` (after `base`, such as the search words). */
export function filterParams(filters, base = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(base)) if (value) params.set(key, value);
  if (filters.available) params.set('available', '1');
  if (filters.min) params.set('min', filters.min);
  if (filters.max) params.set('max', filters.max);
  for (const [name, value] of filters.options) params.append('option', `${name}:${value}`);
  for (const tag of filters.tags) params.append('tag', tag);
  return params;
}

/** `filters` with one box turned on or off ({kind: 'available'|'option'|'tag', name, value, checked}),
 * or a new price range ({kind: 'price', min, max}). */
export function toggled(filters, { kind, name, value, checked, min, max }) {
  if (kind === 'available') return { ...filters, available: checked };
  if (kind === 'price') return { ...filters, min, max };
  if (kind === 'tag') {
    const tags = filters.tags.filter((t) => t !== value);
    return { ...filters, tags: checked ? [...tags, value] : tags };
  }
  const options = filters.options.filter(([n, v]) => n !== name || v !== value);
  return { ...filters, options: checked ? [...options, [name, value]] : options };
}

let checkboxCount = 0;

function checkbox(change, label, count, checked, onToggle) {
  const id = `filter-${++checkboxCount}`;
  const key = `${change.kind}:${change.name}:${change.value}`;
  const input = h('input', { type: 'checkbox', id, checked, 'data-filter': key });
  input.addEventListener('change', () => onToggle({ ...change, checked: input.checked }, key));
  return h('li', {}, h('label', { for: id, class: 'check' }, input, ` ${label} `, h('span', { class: 'count' }, `(${count})`)));
}

/** Values of a facet, with the chosen ones kept even when nothing matches them now. */
function withChosen(values, chosen) {
  const listed = values.map((v) => v.value);
  return [...values, ...chosen.filter((value) => !listed.includes(value)).map((value) => ({ value, count: 0 }))];
}

function group(legend, items) {
  return h('fieldset', { class: 'facet' }, h('legend', {}, legend), h('ul', {}, items));
}

/** A price as typed: '' for none, the text when it is an amount with at most `decimals` places, else null. */
function typedPrice(text, decimals) {
  const value = text.trim();
  if (!value) return '';
  const amount = decimals ? new RegExp(`^\\d{1,12}(\\.\\d{1,${decimals}})?$`) : /^\d{1,12}$/;
  return amount.test(value) ? value : null;
}

/** The price range: two amounts in the currency the shop prices this list in (`facets.price`). */
function priceGroup(bounds, filters, onToggle) {
  const sample = bounds.min || bounds.max;
  if (!sample && !filters.min && !filters.max) return null;
  const currency = sample ? sample.currencyCode : '';
  const decimals = sample ? decimalsOf(sample) : 2;
  const error = h('p', { class: 'field-error', id: 'price-error', role: 'alert' });
  const box = (key, label, bound) => h('div', { class: 'field price-field' },
    h('label', { for: `price-${key}` }, label, currency ? ` (${currency})` : ''),
    h('input', { id: `price-${key}`, name: key, type: 'text', inputmode: decimals ? 'decimal' : 'numeric',
      autocomplete: 'off', value: filters[key], placeholder: bound ? bound.amount : '', 'data-filter': `price:${key}`,
      'aria-describedby': 'price-error' }));
  const form = h('form', { class: 'price-range', novalidate: true },
    box('min', 'Min price', bounds.min), box('max', 'Max price', bounds.max),
    h('button', { type: 'submit', class: 'button' }, 'Apply'), error);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const [min, max] = ['min', 'max'].map((key) => typedPrice(form.elements[key].value, decimals));
    if (min === null || max === null) {
      error.textContent = decimals ? `Enter an amount with at most ${decimals} decimals, such as ${sample ? sample.amount : '12.50'}.`
        : `Enter a whole amount: ${currency} has no decimals.`;
      form.elements[min === null ? 'min' : 'max'].focus();
      return;
    }
    onToggle({ kind: 'price', min, max }, min === filters.min && max !== filters.max ? 'price:max' : 'price:min');
  });
  return h('fieldset', { class: 'facet' }, h('legend', {}, 'Price'), form);
}

/**
 * The sidebar for `facets` (a `ProductFacets`) with `filters` chosen; `onToggle(change, key)`
 * applies a change (see `toggled`), `key` naming the box so the new page can focus it again.
 */
export function filterSidebar(facets, filters, onToggle, clearHref) {
  const groups = [];
  const inStock = facets.available.find((v) => v.value === 'true');
  if (inStock || filters.available) {
    groups.push(group('Availability', [checkbox({ kind: 'available', name: '', value: 'true' }, 'In stock',
      inStock ? inStock.count : 0, filters.available, onToggle)]));
  }
  const price = priceGroup(facets.price, filters, onToggle);
  if (price) groups.push(price);
  for (const option of facets.options) {
    const chosen = filters.options.filter(([name]) => name === option.name).map(([, value]) => value);
    groups.push(group(option.name, withChosen(option.values, chosen).map(({ value, count }) =>
      checkbox({ kind: 'option', name: option.name, value }, value, count, chosen.includes(value), onToggle))));
  }
  if (facets.tag.length || filters.tags.length) {
    groups.push(group('Tags', withChosen(facets.tag, filters.tags).map(({ value, count }) =>
      checkbox({ kind: 'tag', name: '', value }, value, count, filters.tags.includes(value), onToggle))));
  }
  return h('aside', { class: 'filters', 'aria-labelledby': 'filters-heading' },
    h('h2', { id: 'filters-heading' }, 'Filter'),
    anyFilter(filters) ? h('p', {}, h('a', { href: clearHref }, 'Clear filters')) : null,
    groups);
}
