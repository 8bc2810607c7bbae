// The shopper's cart: its id survives a reload in localStorage. Its market is the
// buyer's country: choosing another moves the cart there (repriced in that currency).

import { Q, gql } from './api.js';
import { plural, showNotices } from './dom.js';

const CART_KEY = 'shopgraph.cartId';
let current = null;                 // the open cart, as the API last answered it
let queue = Promise.resolve();     // cart changes run one after another

export const currentCart = () => current;

/** What a line is called: "Classic Tee, M / Navy", or the title of a single-variant product. */
export const lineName = (line) =>
  (line.variant.selectedOptions.length ? `${line.product.title}, ${line.variant.title}` : line.product.title);

function storedCartId() {
  try { return localStorage.getItem(CART_KEY); } catch (error) { return null; }
}

/** Keeps `cart` if it is open (and its id in localStorage); forgets it otherwise. */
export function setCart(cart) {
  current = cart && cart.status === 'OPEN' ? cart : null;
  try {
    if (current) localStorage.setItem(CART_KEY, current.id);
    else localStorage.removeItem(CART_KEY);
  } catch (error) { /* storage is off: the cart lasts as long as the page */ }
  const count = current ? current.totalQuantity : 0;
  const badge = document.getElementById('cart-count');
  badge.textContent = String(count);
  badge.setAttribute('aria-label', plural(count, 'item', 'items'));
}

/** Reads the stored cart back from the shop. */
export async function loadCart() {
  const id = storedCartId();
  if (!id) { setCart(null); return; }
  try {
    setCart((await gql(Q.cart, { id })).cart);
  } catch (error) {
    current = null;  // keep the stored id: the shop may answer again later
  }
}

/** Runs `work` (a cart mutation) after the ones before it; returns its userErrors. */
export function changeCart(work) {
  const run = queue.then(work, work);
  queue = run.catch(() => {});
  return run;
}

const isStaleCart = (e) =>
  (e.code === 'NOT_FOUND' || e.code === 'CART_ALREADY_CHECKED_OUT') && (e.field || []).includes('cartId');

/** Puts `quantity` of `variant` (what a product's pickers chose) in the cart. */
export function addToCart(variant, quantity) {
  return changeCart(async () => {
    const send = async (cartId) => (await gql(Q.addToCart, { cartId, variantId: variant.id, quantity })).addToCart;
    let payload = await send(current ? current.id : storedCartId());
    if (payload.userErrors.some(isStaleCart)) payload = await send(null);  // gone, or became an order: a new cart
    if (payload.cart) setCart(payload.cart);
    if (payload.warnings.length) showNotices(payload.warnings.map((w) => w.message));
    return payload.userErrors;
  });
}

const CART_GONE = [{ code: 'NOT_FOUND', field: ['cartId'], message: 'This cart is no longer open. Please reload the page.' }];

export function updateLine(line, quantity) {
  return changeCart(async () => {
    if (!current) return CART_GONE;
    const payload = (await gql(Q.updateCartLine, { cartId: current.id, lineId: line.id, quantity })).updateCartLine;
    if (payload.cart) setCart(payload.cart);
    return payload.userErrors;
  });
}

export function removeLine(line) {
  return changeCart(async () => {
    if (!current) return CART_GONE;
    const payload = (await gql(Q.removeFromCart, { cartId: current.id, lineId: line.id })).removeFromCart;
    if (payload.cart) setCart(payload.cart);
    return payload.userErrors;
  });
}

/** Moves the open cart to `country`'s market (`cartBuyerIdentityUpdate`); answers its userErrors and warnings. */
export function moveCart(country) {
  return changeCart(async () => {
    if (!current) return { userErrors: [], warnings: [] };
    const payload = (await gql(Q.buyerCountry, { cartId: current.id, countryCode: country })).cartBuyerIdentityUpdate;
    if (payload.userErrors.some(isStaleCart)) { setCart(null); return { userErrors: [], warnings: [] }; }  // nothing to move
    if (payload.cart) setCart(payload.cart);
    return payload;
  });
}
