// The account page (#/account): sign in or create an account; once signed in, the
// saved addresses and cards (the wallet), each removable, and signing out. A guest
// cart in progress becomes the customer's when they sign in.

import { Q, gql, sessionToken, setSessionToken, shopperMessage } from './api.js';
import { currentCart, loadCart } from './cart.js';
import { announce, h, notice, show } from './dom.js';

/** "Visa •••• 4242, expires 12/29" */
export function cardLabel(card) {
  const brand = card.brand && card.brand !== 'unknown' ? card.brand.charAt(0).toUpperCase() + card.brand.slice(1) : 'Card';
  return `${brand} •••• ${card.last4}, expires ${String(card.expMonth).padStart(2, '0')}/${String(card.expYear).slice(-2)}`;
}

/** The signed-in customer's wallet (`me`), or null for a guest. */
export async function loadWallet() {
  if (!sessionToken()) return null;
  return (await gql(Q.wallet)).me;
}

function signInForm(stillHere) {
  const error = h('p', { class: 'form-error', id: 'account-error', role: 'alert', tabindex: '-1' });
  const email = h('input', { id: 'account-email', type: 'email', autocomplete: 'email', required: true, spellcheck: 'false' });
  const password = h('input', { id: 'account-password', type: 'password', autocomplete: 'current-password', required: true });
  async function signIn(register) {
    error.textContent = '';
    try {
      const credentials = { email: email.value.trim(), password: password.value };
      if (register) {
        const made = (await gql(Q.register, credentials)).customerRegister;
        if (made.userErrors.length) { error.textContent = made.userErrors.map(shopperMessage).join(' '); return; }
      }
      const cart = currentCart();
      const login = (await gql(Q.login, { ...credentials, cartId: cart ? cart.id : null })).customerLogin;
      if (login.userErrors.length) { error.textContent = login.userErrors.map(shopperMessage).join(' '); return; }
      setSessionToken(login.sessionToken);
      await loadCart();
      announce('You are signed in.');
      if (stillHere()) accountView(stillHere);
    } catch (failure) {
      error.textContent = failure.message;
    }
  }
  const form = h('form', { class: 'checkout-form', id: 'sign-in', novalidate: true,
    onsubmit: (event) => { event.preventDefault(); signIn(false); } },
    error,
    h('div', { class: 'field' }, h('label', { for: 'account-email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'account-password' }, 'Password (8 characters or more)'), password),
    h('button', { type: 'submit', class: 'button primary wide', id: 'sign-in-button' }, 'Sign in'),
    h('button', { type: 'button', class: 'button wide', id: 'register-button', onclick: () => signIn(true) },
      'Create an account'));
  return h('section', {}, h('h1', {}, 'Your account'),
    h('p', {}, 'Sign in to pay with your saved address and cards.'), form);
}

function removable(label, query, id, stillHere) {
  const button = h('button', { type: 'button', class: 'link-button' }, 'Remove', h('span', { class: 'visually-hidden' }, ` ${label}`));
  button.addEventListener('click', async () => {
    button.disabled = true;
    const payload = Object.values(await gql(query, { id }))[0];
    if (payload.userErrors.length) announce(payload.userErrors.map(shopperMessage).join(' '));
    else announce(`Removed ${label}.`);
    if (stillHere()) accountView(stillHere);
  });
  return button;
}

function walletView(me, stillHere) {
  const signOut = h('button', { type: 'button', class: 'button', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    try { await gql(Q.logout); } catch (error) { /* the token is dropped either way */ }
    setSessionToken(null);
    await loadCart();
    if (stillHere()) accountView(stillHere);
  });
  const addresses = me.addresses.length
    ? h('ul', { class: 'saved-addresses', id: 'saved-addresses' }, me.addresses.map((a) => h('li', {},
      h('span', {}, a.address.formatted.join(', ')), a.isDefault ? h('strong', {}, ' (default) ') : ' ',
      removable(a.address.formatted[0] || 'address', Q.deleteAddress, a.id, stillHere))))
    : h('p', { class: 'muted', id: 'saved-addresses' }, 'No saved addresses yet: tick “Save this address” at checkout.');
  const cards = me.paymentMethods.length
    ? h('ul', { class: 'saved-cards', id: 'saved-cards' }, me.paymentMethods.map((c) => h('li', {},
      h('span', {}, cardLabel(c)), ' ', removable(cardLabel(c), Q.deleteCard, c.id, stillHere))))
    : h('p', { class: 'muted', id: 'saved-cards' }, 'No saved cards yet: tick “Save this card” at checkout.');
  return h('section', {}, h('h1', {}, 'Your account'),
    h('p', { id: 'signed-in-as' }, `Signed in as ${me.email}. `, signOut),
    h('h2', {}, 'Saved addresses'), addresses,
    h('h2', {}, 'Saved cards'), cards);
}

export async function accountView(stillHere) {
  let me = null;
  try {
    me = await loadWallet();
  } catch (error) {
    if (stillHere()) notice('Your account', error.message);
    return;
  }
  if (!stillHere()) return;
  show(me ? walletView(me, stillHere) : signInForm(stillHere), 'Your account');
}
