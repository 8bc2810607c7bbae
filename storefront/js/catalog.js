// The product grid (search and paging) and the product page.

import { Q, gql, shopperMessage } from './api.js';
import { addToCart } from './cart.js';
import { announce, h, hidden, money, notice, plural, productImage, show } from './dom.js';

const PAGE_SIZE = 12;

function listHref(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `#/?${text}` : '#/';
}

const productHref = (product) => `#/product/${encodeURIComponent(product.slug)}`;

function stockNote(product) {
  if (!product.availableForSale || product.quantityAvailable <= 0) return h('p', { class: 'stock out' }, 'Out of stock');
  if (product.quantityAvailable <= 5) return h('p', { class: 'stock low' }, `Only ${product.quantityAvailable} left`);
  return h('p', { class: 'stock' }, 'In stock');
}

/** "Add to cart" for `product`; refusals go to `errorBox`, next to the button. */
function addButton(product, quantityOf, errorBox) {
  const soldOut = !product.availableForSale || product.quantityAvailable <= 0;
  const button = h('button', { type: 'button', class: 'button primary', disabled: soldOut },
    soldOut ? 'Sold out' : 'Add to cart', hidden(`: ${product.title}`));
  button.addEventListener('click', async () => {
    errorBox.textContent = '';
    button.disabled = true;
    try {
      const errors = await addToCart(product, quantityOf());
      if (errors.length) errorBox.textContent = errors.map(shopperMessage).join(' ');
      else announce(`Added ${product.title} to your cart.`);
    } catch (error) {
      errorBox.textContent = error.message;
    } finally {
      button.disabled = soldOut;
    }
  });
  return button;
}

function searchForm(query) {
  const submit = (event) => {
    event.preventDefault();
    location.hash = listHref({ q: event.target.elements.q.value.trim() });
  };
  return h('form', { class: 'search', role: 'search', onsubmit: submit },
    h('label', { for: 'search-input' }, 'Search products'),
    h('div', { class: 'search-row' },
      h('input', { id: 'search-input', name: 'q', type: 'search', value: query, autocomplete: 'off',
        placeholder: 'Lamp, notebook, oak…' }),
      h('button', { type: 'submit', class: 'button' }, 'Search')));
}

function productCard(product) {
  const errorBox = h('p', { class: 'field-error', role: 'alert' });
  return h('li', { class: 'card' },
    h('a', { href: productHref(product), class: 'card-image', tabindex: '-1', 'aria-hidden': 'true' },
      productImage(product, 'medium')),
    h('h2', { class: 'card-title' }, h('a', { href: productHref(product) }, product.title)),
    h('p', { class: 'price' }, money(product.price)),
    stockNote(product),
    addButton(product, () => 1, errorBox),
    errorBox);
}

function pager(query, pageInfo) {
  const link = (cursor, text) => h('a', { class: 'button', href: listHref({ q: query, ...cursor }) }, text);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    pageInfo.hasPreviousPage ? link({ before: pageInfo.startCursor }, '← Previous page') : h('span'),
    pageInfo.hasNextPage ? link({ after: pageInfo.endCursor }, 'Next page →') : h('span'));
}

export async function productsView(params, stillHere) {
  const query = (params.get('q') || '').trim();
  const before = params.get('before');
  const variables = before ? { last: PAGE_SIZE, before, query: query || null }
    : { first: PAGE_SIZE, after: params.get('after'), query: query || null };
  const heading = query ? `Results for “${query}”` : 'Products';
  let page;
  try {
    page = (await gql(Q.products, variables)).products;
  } catch (error) {
    if (stillHere()) show(h('section', {}, h('h1', {}, heading), searchForm(query), h('p', { class: 'form-error' }, error.message)), heading);
    return;
  }
  if (!stillHere()) return;
  const summary = page.totalCount === 0
    ? (query ? 'No products match your search. Try another word.' : 'There are no products yet.')
    : plural(page.totalCount, 'product', 'products');
  show(h('section', {},
    h('h1', {}, heading),
    searchForm(query),
    h('p', { class: 'summary' }, summary),
    page.nodes.length ? h('ul', { class: 'grid', 'aria-label': heading }, page.nodes.map(productCard)) : null,
    pager(query, page.pageInfo)), heading);
}

export async function productView(slug, stillHere) {
  let product;
  try {
    product = (await gql(Q.product, { slug })).product;
  } catch (error) {
    if (stillHere()) notice('Product', error.message);
    return;
  }
  if (!stillHere()) return;
  if (!product) {
    notice('Product not found', 'We could not find this product. ', h('a', { href: '#/' }, 'See all products'), '.');
    return;
  }
  const max = Math.max(1, Math.min(999, product.quantityAvailable));
  const quantity = h('input', { id: 'quantity', name: 'quantity', type: 'number', min: 1, max, value: 1,
    inputmode: 'numeric', 'aria-describedby': 'quantity-error' });
  const errorBox = h('p', { class: 'field-error', id: 'quantity-error', role: 'alert' });
  show(h('article', { class: 'product-detail' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All products')),
    h('div', { class: 'detail-grid' },
      productImage(product, 'large'),
      h('div', { class: 'detail-info' },
        h('h1', {}, product.title),
        h('p', { class: 'price big' }, money(product.price)),
        stockNote(product),
        h('p', { class: 'description' }, product.description),
        h('div', { class: 'field quantity-field' }, h('label', { for: 'quantity' }, 'Quantity'), quantity),
        addButton(product, () => parseInt(quantity.value, 10) || 1, errorBox),
        errorBox,
        h('p', {}, h('a', { href: '#/cart' }, 'Go to your cart'))))), product.title);
}
