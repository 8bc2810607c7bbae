// shopgraph storefront: products, cart and checkout over the public GraphQL API.
// Plain JavaScript modules, no build step. The URL hash picks the view:
// #/ (products), #/collections, #/collection/<slug>, #/product/<slug>, #/cart,
// #/checkout, #/order/<id>, #/account. The header's picker chooses the buyer's
// country (currency) and language; every view is drawn in them.

import { accountView } from './account.js';
import { loadCart } from './cart.js';
import { cartView } from './cart-view.js';
import { productView } from './catalog.js';
import { checkoutView } from './checkout.js';
import { dismissAnnouncement, h, notice } from './dom.js';
import { collectionView, collectionsView, productsView } from './listing.js';
import { startLocalization } from './localization.js';
import { orderView } from './order.js';
import { initStripe } from './payment.js';

let visit = 0;  // bumps on every navigation; a view's late answers check stillHere()

function readConfig() {
  try {
    return JSON.parse(document.getElementById('shopgraph-config').textContent);
  } catch (error) {
    return { stripePublishableKey: '', stripeJsUrl: '' };
  }
}

function markCurrentNav(section) {
  for (const link of document.querySelectorAll('.nav-link')) {
    const target = link.getAttribute('href').replace(/^#\/?/, '');
    const current = target === section || (target === '' && section === 'product')
      || (target === 'collections' && section === 'collection');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route() {
  const mine = ++visit;
  const stillHere = () => mine === visit;
  dismissAnnouncement();
  const [path, query] = (location.hash.replace(/^#/, '') || '/').split('?');
  const params = new URLSearchParams(query || '');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (error) {
    parts = ['?'];
  }
  markCurrentNav(parts[0] || '');
  if (parts.length === 0) return productsView(params, stillHere);
  if (parts[0] === 'collections') return collectionsView(stillHere);
  if (parts[0] === 'collection' && parts[1]) return collectionView(parts[1], params, stillHere);
  if (parts[0] === 'product' && parts[1]) return productView(parts[1], stillHere);
  if (parts[0] === 'cart') return cartView(stillHere);
  if (parts[0] === 'checkout') return checkoutView(stillHere);
  if (parts[0] === 'order' && parts[1]) return orderView(parts[1], stillHere);
  if (parts[0] === 'account') return accountView(stillHere);
  return notice('Page not found', h('a', { href: '#/' }, 'See all products'));
}

/** Draws the page again in a new market or language; a price range in the URL was in the old currency. */
function redraw({ currencyChanged }) {
  const [path, query] = location.hash.split('?');
  const params = new URLSearchParams(query || '');
  if (currencyChanged && (params.has('min') || params.has('max'))) {
    params.delete('min');
    params.delete('max');
    params.delete('after');
    params.delete('before');
    const rest = params.toString();
    location.hash = rest ? `${path}?${rest}` : path;  // hashchange draws it
    return Promise.resolve();
  }
  return route();
}

function showTestBanner(config) {
  if (!(config.stripePublishableKey || '').startsWith('pk_test_')) return;
  const banner = document.getElementById('test-banner');
  const emulated = !/^https:\/\/js\.stripe\.com\//.test(config.stripeJsUrl || '');
  banner.textContent = `${emulated ? 'Local test mode' : 'Stripe test mode'}: no real money moves. `
    + 'Pay with card 4242 4242 4242 4242.';
  banner.hidden = false;
}

const config = readConfig();
initStripe(config.stripePublishableKey);
showTestBanner(config);
window.addEventListener('hashchange', route);
Promise.allSettled([loadCart(), startLocalization(redraw)]).finally(route);
