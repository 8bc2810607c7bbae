// Paying with Stripe.js: the card element (labelled when it is the local
// emulator's plain inputs), card tokens, and 3-D Secure with `checkoutConfirm`.

import { Q, gql } from './api.js';

let stripe = null;  // Stripe.js (Stripe's own, or the local emulator's fake), once configured

export function initStripe(publishableKey) {
  if (!publishableKey || typeof window.Stripe !== 'function') return;
  try { stripe = window.Stripe(publishableKey); } catch (error) { console.error(error); }
}

export const canPay = () => stripe !== null;

/** Stripe.js, once `initStripe` configured it. */
export const stripeJs = () => stripe;

/** A new key for each checkout attempt: the same key would replay the last answer. */
export function newAttemptKey() {
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

export function labelPlainCardInputs(mount) {
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

export function focusCard(card, mount) {
  if (card && typeof card.focus === 'function') { card.focus(); return; }
  const input = mount.querySelector('input');  // the emulator's element
  if (input) input.focus();
}

export function cardTokenMessage(error) {
  if (error && error.type === 'api_connection_error') return 'We could not reach the card processor. Please try again.';
  if (error && typeof error.message === 'string' && error.message) return error.message;
  return 'Enter your card number, expiry date and security code.';
}

export function showError(box, input, message) {
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
