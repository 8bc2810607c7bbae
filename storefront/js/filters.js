// The filter sidebar: the facets of a product list (availability, option values,
// tags) with their counts, kept in the URL (`available=1`, `option=Size:M`, `tag=gift`).

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

let checkboxCount = 0;

function checkbox(group, value, count, checked, onToggle) {
  const id = `filter-${group}-${++checkboxCount}`;
  const input = h('input', { type: 'checkbox', id, value, checked, 'data-filter': `${group}:${value}` });
  input.addEventListener('change', () => onToggle(input.checked, input.dataset.filter));
  return h('li', {}, h('label', { for: id, class: 'check' }, input, ` ${value} `, h('span', { class: 'count' }, `(${count})`)));
}

/** Values of a facet, with the chosen ones kept even when nothing matches them now. */
function withChosen(values, chosen) {
  const listed = values.map((v) => v.value);
  return [...values, ...chosen.filter((value) => !listed.includes(value)).map((value) => ({ value, count: 0 }))];
}

/**
 * The sidebar for `facets` (a `ProductFacets`); `go(filters, focusKey)` applies a change,
 * `focusKey` naming the box that changed so the new page can give it focus back.
 */
export function filterSidebar(facets, filters, go, clearHref) {
  const toggle = (change) => (checked, focusKey) => go(change(checked), focusKey);
  const groups = [];
  const inStock = facets.available.find((v) => v.value === 'true');
  if (inStock || filters.available) {
    groups.push(h('fieldset', { class: 'facet' }, h('legend', {}, 'Availability'),
      h('ul', {}, checkbox('available', 'In stock', inStock ? inStock.count : 0, filters.available,
        toggle((checked) => ({ ...filters, available: checked }))))));
  }
  for (const option of facets.options) {
    const chosen = filters.options.filter(([name]) => name === option.name).map(([, value]) => value);
    groups.push(h('fieldset', { class: 'facet' }, h('legend', {}, option.name),
      h('ul', {}, withChosen(option.values, chosen).map(({ value, count }) =>
        checkbox(`option-${option.name}`, value, count, chosen.includes(value), toggle((checked) => ({
          ...filters,
          options: checked ? [...filters.options, [option.name, value]]
            : filters.options.filter(([n, v]) => n !== option.name || v !== value),
        })))))));
  }
  if (facets.tag.length || filters.tags.length) {
    groups.push(h('fieldset', { class: 'facet' }, h('legend', {}, 'Tags'),
      h('ul', {}, withChosen(facets.tag, filters.tags).map(({ value, count }) =>
        checkbox('tag', value, count, filters.tags.includes(value), toggle((checked) => ({
          ...filters, tags: checked ? [...filters.tags, value] : filters.tags.filter((t) => t !== value),
        })))))));
  }
  return h('aside', { class: 'filters', 'aria-labelledby': 'filters-heading' },
    h('h2', { id: 'filters-heading' }, 'Filter'),
    anyFilter(filters) ? h('p', {}, h('a', { href: clearHref }, 'Clear filters')) : null,
    groups);
}
