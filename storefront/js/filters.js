// The filter sidebar: the facets of a product list (availability, option values,
// tags) with their counts, kept in the URL (`available=1`, `option=Size:M`, `tag=gift`).
// A change applies to the filters in the URL now, so quick clicks on a page still
// being replaced add up instead of undoing each other.

import { h } from './dom.js';

/** The filters the URL asks for: {available, options: [[name, value]], tags}. */
export function filtersFrom(params) {
  const options = params.getAll('option').map((text) => {
    const at = text.indexOf(':');
    return at > 0 ? [text.slice(0, at), text.slice(at + 1)] : null;
  }).filter(Boolean);
  return { available: params.get('available') === '1', options, tags: params.getAll('tag') };
}

/** The API's `ProductFilter` for `filters`; null when nothing is chosen. */
export function productFilter(filters) {
  const input = {};
  if (filters.available) input.available = true;
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
  for (const [name, value] of filters.options) params.append('option', `${name}:${value}`);
  for (const tag of filters.tags) params.append('tag', tag);
  return params;
}

/** `filters` with one box turned on or off: {kind: 'available'|'option'|'tag', name, value, checked}. */
export function toggled(filters, { kind, name, value, checked }) {
  if (kind === 'available') return { ...filters, available: checked };
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
