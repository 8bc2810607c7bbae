// Product lists: all products (#/), a collection's (#/collection/<slug>), both
// searched, filtered by the sidebar, sorted (`sort=price-asc`) and paged; and the list
// of collections. Prices, the price filter and the price sort are in the buyer's market.

import { Q, gql } from './api.js';
import { productCard } from './catalog.js';
import { h, notice, plural, productImage, show } from './dom.js';
import { anyFilter, filterParams, filterSidebar, filtersFrom, productFilter, toggled } from './filters.js';

const PAGE_SIZE = 12;
const CARD_VARIANTS = 20;  // a card chooses among this many; a product with more links to its page

let focusAfterRender = null;  // the filter box that changed, to focus again on the new page

/** The orders a list offers: URL value -> label, `sortKey` and `reverse`; the first is the default. */
const SORTS = {
  title: ['Title', 'TITLE', false],
  'price-asc': ['Price, low to high', 'PRICE', false],
  'price-desc': ['Price, high to low', 'PRICE', true],
  newest: ['Newest', 'CREATED_AT', true],
  'best-selling': ['Best selling', 'BEST_SELLING', false],
};
const sortOf = (params) => (Object.hasOwn(SORTS, params.get('sort') || '') ? params.get('sort') : 'title');

function listHref(base, params) {
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

/** URL parameters besides the filters: the search words and a sort other than the default. */
const extras = (query, sort, more = {}) => ({ q: query, sort: sort === 'title' ? '' : sort, ...more });

function searchForm(base, query, sort, filters) {
  const submit = (event) => {
    event.preventDefault();
    location.hash = listHref(base, filterParams(filters, extras(event.target.elements.q.value.trim(), sort)));
  };
  return h('form', { class: 'search', role: 'search', onsubmit: submit },
    h('label', { for: 'search-input' }, 'Search products'),
    h('div', { class: 'search-row' },
      h('input', { id: 'search-input', name: 'q', type: 'search', value: query, autocomplete: 'off',
        placeholder: 'Tee, lamp, oak…' }),
      h('button', { type: 'submit', class: 'button' }, 'Search')));
}

function sortPicker(base, query, sort, filters) {
  const select = h('select', { id: 'sort', name: 'sort' },
    Object.entries(SORTS).map(([value, [label]]) => h('option', { value, selected: value === sort }, label)));
  select.addEventListener('change', () => {
    focusAfterRender = 'sort';
    location.hash = listHref(base, filterParams(filters, extras(query, select.value)));
  });
  return h('div', { class: 'field sort-field' }, h('label', { for: 'sort' }, 'Sort by'), select);
}

function pager(base, query, sort, filters, pageInfo) {
  const link = (cursor, text) => h('a', { class: 'button', href: listHref(base, filterParams(filters, extras(query, sort, cursor))) }, text);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    pageInfo.hasPreviousPage ? link({ before: pageInfo.startCursor }, '← Previous page') : h('span'),
    pageInfo.hasNextPage ? link({ after: pageInfo.endCursor }, 'Next page →') : h('span'));
}

function summaryText(page, query, filters) {
  if (page.totalCount > 0) return plural(page.totalCount, 'product', 'products');
  if (anyFilter(filters)) return 'No products match these filters. Try removing one.';
  return query ? 'No products match your search. Try another word.' : 'There are no products here yet.';
}

/** One list page: `load(variables)` answers {heading, intro, page} or null when the list is gone. */
async function listView(base, params, stillHere, load, fallbackHeading) {
  const query = (params.get('q') || '').trim();
  const filters = filtersFrom(params);
  const sort = sortOf(params);
  const [, sortKey, reverse] = SORTS[sort];
  const before = params.get('before');
  const variables = {
    ...(before ? { last: PAGE_SIZE, before } : { first: PAGE_SIZE, after: params.get('after') }),
    query: query || null, filters: productFilter(filters), sortKey, reverse, variants: CARD_VARIANTS,
  };
  let found;
  try {
    found = await load(variables);
  } catch (error) {
    if (stillHere()) show(h('section', {}, h('h1', {}, fallbackHeading), h('p', { class: 'form-error' }, error.message)), fallbackHeading);
    return;
  }
  if (!stillHere() || !found) return;
  const { page, title, intro } = found;
  const heading = query ? `Results for “${query}”` : title;
  const go = (change, focusKey) => {
    const [, now] = location.hash.split('?');
    focusAfterRender = focusKey;
    location.hash = listHref(base, filterParams(toggled(filtersFrom(new URLSearchParams(now || '')), change), extras(query, sort)));
  };
  show(h('section', {},
    h('h1', {}, heading),
    intro ? h('p', { class: 'intro' }, intro) : null,
    searchForm(base, query, sort, filters),
    h('div', { class: 'listing' },
      filterSidebar(page.facets, filters, go, listHref(base, filterParams(
        { available: false, min: '', max: '', options: [], tags: [] }, extras(query, sort)))),
      h('div', { class: 'results' },
        h('div', { class: 'results-bar' },
          h('p', { class: 'summary', id: 'summary' }, summaryText(page, query, filters)),
          sortPicker(base, query, sort, filters)),
        page.nodes.length ? h('ul', { class: 'grid', 'aria-label': heading }, page.nodes.map(productCard)) : null,
        pager(base, query, sort, filters, page.pageInfo)))), heading);
  if (focusAfterRender) {
    const box = focusAfterRender === 'sort' ? document.getElementById('sort')
      : document.querySelector(`input[data-filter="${CSS.escape(focusAfterRender)}"]`);
    if (box) box.focus();
    focusAfterRender = null;
  }
}

export function productsView(params, stillHere) {
  return listView('#/', params, stillHere, async (variables) =>
    ({ title: 'Products', page: (await gql(Q.products, variables)).products }), 'Products');
}

export function collectionView(slug, params, stillHere) {
  return listView(`#/collection/${encodeURIComponent(slug)}`, params, stillHere, async (variables) => {
    const collection = (await gql(Q.collectionProducts, { slug, ...variables })).collection;
    if (!collection) {
      if (stillHere()) notice('Collection not found', 'We could not find this collection. ', h('a', { href: '#/collections' }, 'See all collections'), '.');
      return null;
    }
    return { title: collection.title, intro: collection.description, page: collection.products };
  }, 'Collection');
}

export async function collectionsView(stillHere) {
  let collections;
  try {
    collections = (await gql(Q.collections)).collections.nodes;
  } catch (error) {
    if (stillHere()) notice('Collections', error.message);
    return;
  }
  if (!stillHere()) return;
  const href = (c) => `#/collection/${encodeURIComponent(c.slug)}`;
  show(h('section', {},
    h('h1', {}, 'Collections'),
    collections.length ? h('ul', { class: 'grid collections', 'aria-label': 'Collections' }, collections.map((c) =>
      h('li', { class: 'card' },
        h('a', { href: href(c), class: 'card-image', tabindex: '-1', 'aria-hidden': 'true' }, productImage(c.image, 'medium')),
        h('h2', { class: 'card-title' }, h('a', { href: href(c) }, c.title)),
        h('p', { class: 'muted' }, c.description),
        h('p', { class: 'muted' }, plural(c.products.totalCount, 'product', 'products')))))
      : h('p', {}, 'There are no collections yet.')), 'Collections');
}
