// A product as a grid card and as its own page. What goes in the cart is the
// chosen variant; the price, image and stock shown are that variant's.

import { Q, gql, shopperMessage } from './api.js';
import { addToCart } from './cart.js';
import { announce, h, hidden, money, notice, productImage, show } from './dom.js';
import { allVariantsLoaded, firstChoice, hasChoices, optionPickers } from './variants.js';

export const MAX_VARIANTS = 100;  // a product page reads them all (the API's page limit)

export const productHref = (product) => `#/product/${encodeURIComponent(product.slug)}`;

/** "Classic Tee, M / Navy"; the product's title alone for a single-variant product. */
export const variantName = (product, variant) =>
  (variant.selectedOptions.length ? `${product.title}, ${variant.title}` : product.title);

function stockNote(variant) {
  if (!variant.availableForSale || variant.quantityAvailable <= 0) return ['stock out', 'Out of stock'];
  if (variant.quantityAvailable <= 5) return ['stock low', `Only ${variant.quantityAvailable} left`];
  return ['stock', 'In stock'];
}

function priceParts(variant) {
  const compareAt = variant.compareAtPrice;
  const reduced = compareAt && compareAt.minorUnits > variant.price.minorUnits;
  return [money(variant.price), reduced ? h('s', { class: 'compare-at' }, hidden('was '), money(compareAt)) : null];
}

/**
 * The parts of a product that follow the chosen variant: price, image, stock note,
 * option pickers and the "Add to cart" button (refusals go to its error box).
 */
function buyingParts(product, { imageSize, priceClass, quantityOf = () => 1, about = '' }) {
  let variant = firstChoice(product);
  const parts = {
    price: h('p', { class: priceClass }),
    image: h('div', { class: 'image-slot' }),
    stock: h('p', {}),
    errorBox: h('p', { class: 'field-error', role: 'alert' }),
    button: h('button', { type: 'button', class: 'button primary' }),
    pickers: null,
    onVariant: () => {},
  };
  const paint = () => {
    const soldOut = !variant.availableForSale || variant.quantityAvailable <= 0;
    parts.price.replaceChildren(...priceParts(variant).filter(Boolean));
    parts.image.replaceChildren(productImage(variant.image || product.featuredImage, imageSize));
    const [stockClass, stockText] = stockNote(variant);
    parts.stock.className = stockClass;
    parts.stock.textContent = stockText;
    parts.button.disabled = soldOut;
    parts.button.replaceChildren(soldOut ? 'Sold out' : 'Add to cart', hidden(`: ${variantName(product, variant)}`));
    parts.errorBox.textContent = '';
    parts.onVariant(variant);
  };
  if (hasChoices(product)) {
    parts.pickers = optionPickers(product, variant, (chosen) => { variant = chosen; paint(); }, about);
  }
  parts.button.addEventListener('click', async () => {
    const chosen = variant;
    parts.errorBox.textContent = '';
    parts.button.disabled = true;
    try {
      const errors = await addToCart(chosen, quantityOf());
      if (errors.length) parts.errorBox.textContent = errors.map(shopperMessage).join(' ');
      else announce(`Added ${variantName(product, chosen)} to your cart.`);
    } catch (error) {
      parts.errorBox.textContent = error.message;
    } finally {
      parts.button.disabled = !variant.availableForSale || variant.quantityAvailable <= 0;
    }
  });
  parts.paint = paint;
  return parts;
}

/** A grid card; a product with more variants than the grid read links to its page to choose. */
export function productCard(product) {
  const link = (attrs, ...children) => h('a', { href: productHref(product), ...attrs }, ...children);
  if (!allVariantsLoaded(product)) {
    return h('li', { class: 'card' },
      link({ class: 'card-image', tabindex: '-1', 'aria-hidden': 'true' }, productImage(product.featuredImage, 'medium')),
      h('h2', { class: 'card-title' }, link({}, product.title)),
      h('p', { class: 'price' }, `From ${money(product.priceRange.minVariantPrice)}`),
      link({ class: 'button' }, 'Choose options', hidden(`: ${product.title}`)));
  }
  const parts = buyingParts(product, { imageSize: 'medium', priceClass: 'price', about: `of ${product.title}` });
  parts.paint();
  return h('li', { class: 'card' },
    link({ class: 'card-image', tabindex: '-1', 'aria-hidden': 'true' }, parts.image),
    h('h2', { class: 'card-title' }, link({}, product.title)),
    parts.price,
    parts.pickers,
    parts.stock,
    parts.button,
    parts.errorBox);
}

export async function productView(slug, stillHere) {
  let product;
  try {
    product = (await gql(Q.product, { slug, variants: MAX_VARIANTS })).product;
  } catch (error) {
    if (stillHere()) notice('Product', error.message);
    return;
  }
  if (!stillHere()) return;
  if (!product) {
    notice('Product not found', 'We could not find this product. ', h('a', { href: '#/' }, 'See all products'), '.');
    return;
  }
  const quantity = h('input', { id: 'quantity', name: 'quantity', type: 'number', min: 1, value: 1,
    inputmode: 'numeric', 'aria-describedby': 'quantity-error' });
  const parts = buyingParts(product, { imageSize: 'large', priceClass: 'price big',
    quantityOf: () => parseInt(quantity.value, 10) || 1 });
  parts.errorBox.id = 'quantity-error';
  parts.onVariant = (variant) => quantity.setAttribute('max', Math.max(1, Math.min(999, variant.quantityAvailable)));
  parts.paint();
  show(h('article', { class: 'product-detail' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All products')),
    h('div', { class: 'detail-grid' },
      parts.image,
      h('div', { class: 'detail-info' },
        h('h1', {}, product.title),
        parts.price,
        parts.pickers,
        parts.stock,
        h('p', { class: 'description' }, product.description),
        h('div', { class: 'field quantity-field' }, h('label', { for: 'quantity' }, 'Quantity'), quantity),
        parts.button,
        parts.errorBox,
        h('p', {}, h('a', { href: '#/cart' }, 'Go to your cart'))))), product.title);
}
