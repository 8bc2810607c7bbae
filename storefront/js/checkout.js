// Checkout: email and Stripe's card element. Stripe.js turns the card into a
// token (card details go to Stripe only); `checkout` gets the token; 3-D Secure
// runs in Stripe.js (confirmCardPayment), then `checkoutConfirm`.

import { Q, gql, shopperMessage } from './api.js';
import { currentCart, lineName, loadCart, setCart } from './cart.js';
import { h, money, notice, show, totalsBlock } from './dom.js';

let stripe = null;  // Stripe.js (Stripe's own, or the local emulator's fake), once configured

export function initStripe(publishableKey) {
  if (!publishableKey || typeof window.Stripe !== 'function') return;
  try { stripe = window.Stripe(publishableKey); } catch (error) { console.error(error); }
}

export const canPay = () => stripe !== null;

/** A new key for each checkout attempt: the same key would replay the last answer. */
function newAttemptKey() {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));  // plain http on a LAN is not a secure context
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/* The local emulator's card element is plain <input>s named only by a placeholder;
 * give them names and hints. (Real Stripe.js mounts an iframe: nothing to do.) */
const PLAIN_CARD_INPUTS = {
  number: ['Card number', '1234 1234 1234 1234', 'cc-number'],
  exp_month: ['Expiry month', 'MM', 'cc-exp-month'],
  exp_year: ['Expiry year', 'YY', 'cc-exp-year'],
  cvc: ['Security code', 'CVC', 'cc-csc'],
  postal_code: ['Postcode', 'Postcode', 'postal-code'],
};

function labelPlainCardInputs(mount) {
  for (const input of mount.querySelectorAll(':scope > input[placeholder]')) {
    const field = input.getAttribute('placeholder');
    if (!Object.hasOwn(PLAIN_CARD_INPUTS, field)) continue;
    const [label, placeholder, autocomplete] = PLAIN_CARD_INPUTS[field];
    input.dataset.field = field;
    input.setAttribute('aria-label', label);
    input.setAttribute('placeholder', placeholder);
    input.setAttribute('autocomplete', autocomplete);
    if (field !== 'postal_code') input.setAttribute('inputmode', 'numeric');
  }
}

function focusCard(card, mount) {
  if (card && typeof card.focus === 'function') { card.focus(); return; }
  const input = mount.querySelector('input');  // the emulator's element
  if (input) input.focus();
}

function cardTokenMessage(error) {
  if (error && error.type === 'api_connection_error') return 'We could not reach the card processor. Please try again.';
  if (error && typeof error.message === 'string' && error.message) return error.message;
  return 'Enter your card number, expiry date and security code.';
}

function showError(box, input, message) {
  box.textContent = message;
  if (!input) return;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** 3-D Secure: Stripe.js asks the bank, then the shop reads the outcome from Stripe. */
export async function confirmWithBank(orderId, clientSecret) {
  window.scrollTo(0, 0);  // the emulator's dialog opens in the first screenful of the page
  let outcome;
  try {
    outcome = await stripe.confirmCardPayment(clientSecret);
  } catch (error) {
    outcome = { error };
  }
  const payload = (await gql(Q.checkoutConfirm, { orderId })).checkoutConfirm;
  if (outcome && outcome.error && payload.userErrors.some((e) => e.code === 'PAYMENT_ACTION_REQUIRED')) {
    // The bank said no or the dialog was closed, and Stripe still waits: say what Stripe.js said.
    const message = outcome.error.message || 'Your bank did not confirm this payment.';
    return { ...payload, userErrors: [{ field: ['input', 'paymentToken'], code: 'CARD_DECLINED', message }] };
  }
  return payload;
}

function checkoutForm(total) {
  return h('form', { class: 'checkout-form', novalidate: true, 'aria-labelledby': 'pay-heading' },
    h('h2', { id: 'pay-heading' }, 'Contact and payment'),
    h('div', { class: 'form-error', id: 'form-error', role: 'alert' }),
    h('div', { class: 'field' },
      h('label', { for: 'email' }, 'Email'),
      h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'email', required: true,
        spellcheck: 'false', 'aria-describedby': 'email-error' }),
      h('p', { class: 'field-error', id: 'email-error', role: 'alert' })),
    h('div', { class: 'field' },
      h('span', { class: 'label', id: 'card-label' }, 'Card'),
      h('div', { id: 'card-element', class: 'card-element', role: 'group',
        'aria-labelledby': 'card-label', 'aria-describedby': 'card-error card-hint' }),
      h('p', { class: 'hint', id: 'card-hint' }, 'Card number, expiry month and year, security code (CVC) and postcode.'),
      h('p', { class: 'field-error', id: 'card-error', role: 'alert' })),
    h('button', { type: 'submit', class: 'button primary wide', id: 'pay' }, `Pay ${money(total)}`),
    h('p', { class: 'hint center' }, 'Your card details go straight to Stripe. We never see them.'));
}

function orderSummary(cart) {
  return h('aside', { class: 'order-summary', 'aria-labelledby': 'summary-heading' },
    h('h2', { id: 'summary-heading' }, 'Your order'),
    h('ul', { class: 'summary-lines' }, cart.lines.map((line) =>
      h('li', {}, h('span', {}, `${line.quantity} × ${lineName(line)}`), h('span', {}, money(line.total))))),
    totalsBlock(cart),
    h('p', {}, h('a', { href: '#/cart' }, 'Change your cart')));
}

/** The checkout form's behaviour: one instance per visit to the page. */
class Checkout {
  constructor(form, cart, stillHere) {
    this.form = form;
    this.cartId = cart.id;  // the cart this page pays for
    this.total = cart.total;
    this.stillHere = stillHere;
    this.attemptKey = null;  // kept only while we never heard how the last attempt ended
    this.busy = false;
    this.el = (id) => form.querySelector(`#${id}`);
    this.mount = this.el('card-element');
    this.card = stripe.elements().create('card', {
      style: { base: { fontSize: '16px', color: '#1d2433', '::placeholder': { color: '#6b7280' } } },
    });
    this.card.mount(this.mount);
    labelPlainCardInputs(this.mount);
    this.card.on('change', (event) => {  // real Stripe.js reports typing mistakes here
      if (event && event.error) showError(this.el('card-error'), null, event.error.message);
      else if (event && event.complete) showError(this.el('card-error'), null, '');
    });
    this.el('card-label').addEventListener('click', () => focusCard(this.card, this.mount));
    form.addEventListener('submit', (event) => { event.preventDefault(); if (!this.busy) this.pay(); });
  }

  setBusy(on, label) {
    const button = this.el('pay');
    this.busy = on;
    button.disabled = on;
    this.form.setAttribute('aria-busy', String(on));
    button.textContent = on ? label : `Pay ${money(this.total)}`;
  }

  clearErrors() {
    this.el('form-error').replaceChildren();
    showError(this.el('email-error'), this.el('email'), '');
    showError(this.el('card-error'), null, '');
  }

  /** A refusal goes next to its field (email, card); the rest above the form. */
  showUserErrors(errors) {
    let focused = false;
    for (const error of errors) {
      const field = (error.field || []).slice(-1)[0];
      const message = shopperMessage(error);
      if (field === 'email' || field === 'paymentToken') {
        const input = field === 'email' ? this.el('email') : null;
        showError(this.el(field === 'email' ? 'email-error' : 'card-error'), input, message);
        if (!focused) { if (input) input.focus(); else focusCard(this.card, this.mount); focused = true; }
        continue;
      }
      const box = this.el('form-error');
      box.append(h('p', {}, message));
      if (error.code === 'INSUFFICIENT_STOCK' || error.code === 'OUT_OF_STOCK') {
        box.append(h('p', {}, h('a', { href: '#/cart' }, 'Review your cart')));
      } else if (field === 'cartId') {  // checked out elsewhere, or gone
        setCart(null);
        box.append(h('p', {}, h('a', { href: '#/' }, 'Continue shopping')));
      }
    }
  }

  async cardToken() {
    try {
      const result = await stripe.createToken(this.card);
      if (result && result.token) return result.token.id;
      showError(this.el('card-error'), null, cardTokenMessage(result && result.error));
    } catch (error) {  // the emulator's element throws when nothing was typed
      showError(this.el('card-error'), null, cardTokenMessage(null));
    }
    focusCard(this.card, this.mount);
    return null;
  }

  async pay() {
    this.clearErrors();
    const email = this.el('email');
    const address = email.value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      showError(this.el('email-error'), email, address ? 'Enter a valid email address, such as name@example.com.' : 'Enter your email address.');
      email.focus();
      return;
    }
    this.setBusy(true, 'Checking your card…');
    let done = false;
    try {
      const paymentToken = await this.cardToken();
      if (!paymentToken) return;
      this.attemptKey = this.attemptKey || newAttemptKey();
      this.setBusy(true, 'Paying…');
      let payload = (await gql(Q.checkout, { input: {
        cartId: this.cartId, email: address, paymentToken, idempotencyKey: this.attemptKey,
      } })).checkout;
      this.attemptKey = null;  // the shop answered: the next attempt is a new one
      if (payload.order && payload.paymentAction && payload.paymentAction.clientSecret) {
        this.setBusy(true, 'Waiting for your bank…');
        const orderId = payload.order.id;
        try {
          payload = await confirmWithBank(orderId, payload.paymentAction.clientSecret);
        } catch (error) {  // the order exists: its page shows where it stands and can ask the bank again
          done = true;
          location.hash = `#/order/${encodeURIComponent(orderId)}`;
          return;
        }
      }
      if (payload.order && !payload.userErrors.length) {
        done = true;
        setCart(null);  // the cart became this order
        location.hash = `#/order/${encodeURIComponent(payload.order.id)}`;
        return;
      }
      if (payload.userErrors.length) this.showUserErrors(payload.userErrors);
      else this.el('form-error').append(h('p', {}, 'Your payment did not go through. Please try again.'));
      loadCart();  // a decline reopens the cart: refresh the badge
    } catch (error) {  // no answer: the same key goes with the next try, so it cannot pay twice
      this.el('form-error').replaceChildren(h('p', {}, error.message));
    } finally {
      if (!done && this.stillHere()) this.setBusy(false);
    }
  }
}

export async function checkoutView(stillHere) {
  await loadCart();
  if (!stillHere()) return;
  const cart = currentCart();
  if (!cart || !cart.lines.length) {
    notice('Checkout', 'Your cart is empty. ', h('a', { href: '#/' }, 'Browse products'), '.');
    return;
  }
  const form = checkoutForm(cart.total);
  show(h('section', {}, h('h1', {}, 'Checkout'), h('div', { class: 'checkout-grid' }, form, orderSummary(cart))), 'Checkout');
  if (!stripe) {
    form.querySelector('#card-element').replaceChildren(
      h('p', {}, 'Card payments are not available right now. Please try again later.'));
    form.querySelector('#pay').disabled = true;
    return;
  }
  new Checkout(form, cart, stillHere);  // eslint-disable-line no-new
}
