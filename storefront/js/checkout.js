// Checkout: email, the shipping address and delivery option, discount codes,
// and Stripe's card element. Each change goes to the cart at once and the cost
// breakdown is redrawn from the shop's answer. Stripe.js turns the card into a
// token (card details go to Stripe only); `checkout` gets the token and the
// total shown (`expectedTotal`); 3-D Secure runs in Stripe.js
// (confirmCardPayment), then `checkoutConfirm`. A signed-in buyer may ship to a saved
// address and pay with a saved card, or save the new ones (checkout-wallet.js).
// When the shop's total is zero (a 100 % code, say) there is nothing to pay: the
// card section goes and `checkout` is sent without a card.

import { AddressForm } from './address.js';
import { Q, gql, shopperMessage } from './api.js';
import { changeCart, currentCart, lineName, loadCart, setCart } from './cart.js';
import { CheckoutWallet } from './checkout-wallet.js';
import { cartCostRows, costList } from './costs.js';
import { h, money, notice, show, showNotices } from './dom.js';
import { canPay, cardTokenMessage, confirmWithBank, focusCard, labelPlainCardInputs, newAttemptKey, showError,
  stripeJs } from './payment.js';

function days(option) {
  const { minDeliveryDays: low, maxDeliveryDays: high } = option;
  if (low === null && high === null) return '';
  if (low === high || high === null) return `${low} business day${low === 1 ? '' : 's'}`;
  return low === null ? `up to ${high} business days` : `${low}–${high} business days`;
}

function deliveryLabel(option) {
  const price = option.estimatedCost.minorUnits === 0 ? 'Free' : money(option.estimatedCost);
  return [option.title, days(option), price].filter(Boolean).join(' · ');
}

function checkoutForm(addressForm) {
  return h('form', { class: 'checkout-form', novalidate: true, 'aria-labelledby': 'checkout-form-heading' },
    h('h2', { id: 'checkout-form-heading', class: 'visually-hidden' }, 'Contact, delivery and payment'),
    h('div', { class: 'form-error', id: 'form-error', role: 'alert', tabindex: '-1' }),
    h('div', { class: 'field' },
      h('label', { for: 'email' }, 'Email'),
      h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'email', required: true,
        spellcheck: 'false', 'aria-describedby': 'email-error' }),
      h('p', { class: 'field-error', id: 'email-error', role: 'alert' })),
    h('div', { id: 'saved-address-picker' }),
    addressForm.root,
    h('div', { class: 'save-row', id: 'save-address-row', hidden: true },
      h('input', { type: 'checkbox', id: 'save-address' }),
      h('label', { for: 'save-address', class: 'check' }, 'Save this address for next time')),
    h('fieldset', { class: 'delivery', id: 'delivery', 'aria-describedby': 'delivery-error' },
      h('legend', {}, 'Delivery'),
      h('div', { id: 'delivery-options' }),
      h('p', { class: 'field-error', id: 'delivery-error', role: 'alert' })),
    h('h2', { id: 'pay-heading' }, 'Payment'),
    h('p', { id: 'nothing-to-pay', role: 'status', hidden: true }),
    h('div', { id: 'card-section' },
      h('div', { id: 'saved-card-picker' }),
      h('div', { class: 'field', id: 'new-card' },
        h('span', { class: 'label', id: 'card-label' }, 'Card'),
        h('div', { id: 'card-element', class: 'card-element', role: 'group',
          'aria-labelledby': 'card-label', 'aria-describedby': 'card-error card-hint' }),
        h('p', { class: 'hint', id: 'card-hint' }, 'Card number, expiry month and year, security code (CVC) and postcode.'),
        h('p', { class: 'field-error', id: 'card-error', role: 'alert' }),
        h('div', { class: 'save-row', id: 'save-card-row', hidden: true },
          h('input', { type: 'checkbox', id: 'save-card' }),
          h('label', { for: 'save-card', class: 'check' }, 'Save this card for next time')))),
    h('button', { type: 'submit', class: 'button primary wide', id: 'pay' }, 'Pay'),
    h('p', { class: 'hint center', id: 'card-privacy' }, 'Your card details go straight to Stripe. We never see them.'));
}

function orderSummary() {
  return h('aside', { class: 'order-summary', 'aria-labelledby': 'summary-heading' },
    h('h2', { id: 'summary-heading' }, 'Your order'),
    h('ul', { class: 'summary-lines', id: 'summary-lines' }),
    h('form', { class: 'discount-form', id: 'discount-form', novalidate: true },
      h('label', { for: 'discount-code' }, 'Discount code'),
      h('div', { class: 'search-row' },
        h('input', { id: 'discount-code', type: 'text', autocomplete: 'off', spellcheck: 'false',
          autocapitalize: 'characters', 'aria-describedby': 'discount-error' }),
        h('button', { type: 'submit', class: 'button', id: 'apply-code' }, 'Apply')),
      h('p', { class: 'field-error', id: 'discount-error', role: 'alert' }),
      h('ul', { class: 'discount-codes', id: 'discount-codes', 'aria-label': 'Discount codes' })),
    h('div', { id: 'summary-costs', 'aria-live': 'polite' }),
    h('p', {}, h('a', { href: '#/cart' }, 'Change your cart')));
}

const isStale = (e) => (e.field || []).includes('cartId') && ['NOT_FOUND', 'CART_ALREADY_CHECKED_OUT'].includes(e.code);

/** The checkout page's behaviour: one instance per visit to the page. */
class Checkout {
  constructor(view, cart, stillHere) {
    this.view = view;
    this.form = view.querySelector('.checkout-form');
    this.cart = cart;  // the cart this page pays for, as the shop last answered
    this.stillHere = stillHere;
    this.attemptKey = null;  // kept only while we never heard how the last attempt ended
    this.busy = false;
    this.el = (id) => view.querySelector(`#${id}`);
    this.address = null;
    this.card = null;
    this.cardsWork = true;  // false when Stripe.js could not be set up
    this.el('discount-form').addEventListener('submit', (event) => { event.preventDefault(); this.applyCode(); });
    this.el('delivery-options').addEventListener('change', (event) => {
      if (event.target.name === 'delivery') this.chooseDelivery(event.target.value);
    });
    this.form.addEventListener('submit', (event) => { event.preventDefault(); if (!this.busy) this.pay(); });
  }

  mountCard() {
    const mount = this.el('card-element');
    this.mount = mount;
    this.card = stripeJs().elements().create('card', {
      style: { base: { fontSize: '16px', color: '#1d2433', '::placeholder': { color: '#6b7280' } } },
    });
    this.card.mount(mount);
    labelPlainCardInputs(mount);
    this.card.on('change', (event) => {  // real Stripe.js reports typing mistakes here
      if (event && event.error) showError(this.el('card-error'), null, event.error.message);
      else if (event && event.complete) showError(this.el('card-error'), null, '');
    });
    this.el('card-label').addEventListener('click', () => focusCard(this.card, mount));
  }

  /** Redraws what depends on the cart: lines, delivery options, codes, costs, the Pay button. */
  render() {
    const cart = this.cart;
    this.el('summary-lines').replaceChildren(...cart.lines.map((line) =>
      h('li', {}, h('span', {}, `${line.quantity} × ${lineName(line)}`), h('span', {}, money(line.total)))));
    this.el('summary-costs').replaceChildren(costList(cartCostRows(cart), 'checkout'));
    this.el('discount-codes').replaceChildren(...cart.discountCodes.map((c) => this.codeItem(c)));
    this.renderDelivery();
    this.renderPayment();
    if (!this.busy) this.el('pay').textContent = this.payLabel();
  }

  /** True when the shop's answer leaves nothing to pay: a total of zero, with no delivery still to price. */
  nothingToPay() {
    const cart = this.cart;
    return cart.cost.total.minorUnits === 0 && (!cart.requiresShipping || Boolean(cart.selectedDeliveryOption));
  }

  payLabel() {
    return this.nothingToPay() ? 'Place order' : `Pay ${money(this.cart.cost.total)}`;
  }

  /** A card is asked for only when there is something to pay; it comes back when there is again. */
  renderPayment() {
    const free = this.nothingToPay();
    this.el('card-section').hidden = free;
    this.el('card-privacy').hidden = free;
    const note = this.el('nothing-to-pay');
    note.hidden = !free;
    note.textContent = free ? 'There is nothing to pay for this order, so no card is needed.' : '';
    if (!this.busy) this.el('pay').disabled = !free && !this.cardsWork;
  }

  renderDelivery() {
    const box = this.el('delivery-options');
    const cart = this.cart;
    this.el('delivery').hidden = !cart.requiresShipping;
    if (!cart.shippingAddress) {
      box.replaceChildren(h('p', { class: 'muted' }, 'Enter your address to see the delivery options.'));
      return;
    }
    if (!cart.deliveryOptions.length) {
      box.replaceChildren(h('p', { class: 'muted' }, 'We do not deliver to this address. Please use another one.'));
      return;
    }
    const chosen = cart.selectedDeliveryOption && cart.selectedDeliveryOption.handle;
    box.replaceChildren(h('ul', { class: 'delivery-options' }, cart.deliveryOptions.map((option) => {
      const id = `delivery-${option.handle}`;
      return h('li', {}, h('input', { type: 'radio', name: 'delivery', id, value: option.handle,
        checked: option.handle === chosen }), h('label', { for: id, class: 'check' }, deliveryLabel(option)));
    })));
  }

  codeItem(code) {
    const remove = h('button', { type: 'button', class: 'link-button' }, 'Remove',
      h('span', { class: 'visually-hidden' }, ` ${code.code}`));
    remove.addEventListener('click', () => this.setCodes(this.cart.discountCodes.map((c) => c.code)
      .filter((c) => c !== code.code), `Removed ${code.code}.`));
    return h('li', { class: code.applicable ? 'code applied' : 'code not-applied' },
      h('strong', {}, code.code), ' ',
      h('span', { class: 'code-status' }, code.applicable ? 'applied' : 'cannot be used on this order'), ' ', remove);
  }

  /** Runs a cart mutation after the pending ones; keeps the new cart; returns the userErrors. */
  update(query, variables, name) {
    return changeCart(async () => {
      const payload = (await gql(query, { cartId: this.cart.id, ...variables }))[name];
      if (!this.stillHere()) return payload.userErrors;
      if (payload.cart) {
        this.cart = payload.cart;
        setCart(payload.cart);
        this.render();
        const stale = this.el('total-changed');  // the shopper has changed the cart since: the old news goes
        if (stale) stale.remove();
      }
      if (payload.userErrors.some(isStale)) this.showUserErrors(payload.userErrors.filter(isStale));
      if (payload.warnings && payload.warnings.length) showNotices(payload.warnings.map((w) => w.message));
      const moved = (payload.warnings || []).some((w) => w.code === 'CURRENCY_CHANGED');
      if (moved && payload.cart && payload.cart.shippingAddress) {  // the address chose another market: so does the page
        document.dispatchEvent(new CustomEvent('cart-market-moved', { detail: payload.cart.shippingAddress.countryCode }));
      }
      return payload.userErrors;
    });
  }

  /** Sends a complete address; then picks the cheapest option if none (or no longer one) is chosen. */
  async saveAddress(address) {
    this.address.clearErrors();
    this.el('delivery-error').textContent = '';
    let errors;
    try {
      errors = await this.update(Q.shipTo, { address }, 'cartShippingAddressUpdate');
    } catch (error) {
      this.address.unsent();
      this.address.showError(null, error.message);
      return false;
    }
    if (errors.length) {
      this.address.unsent();
      for (const error of errors.filter((e) => !isStale(e))) {
        const path = error.field || [];
        this.address.showError(path[0] === 'address' ? path[path.length - 1] : null, error.message, false);
      }
      return false;
    }
    return this.keepADeliveryOption();
  }

  async keepADeliveryOption() {
    const cart = this.cart;
    if (!cart.requiresShipping || !cart.shippingAddress || cart.selectedDeliveryOption || !cart.deliveryOptions.length) {
      return true;
    }
    return this.chooseDelivery(cart.deliveryOptions[0].handle);
  }

  async chooseDelivery(handle) {
    this.el('delivery-error').textContent = '';
    try {
      const errors = await this.update(Q.chooseDelivery, { handle }, 'cartSelectedDeliveryOptionUpdate');
      if (errors.length) this.el('delivery-error').textContent = errors.map(shopperMessage).join(' ');
      return !errors.length;
    } catch (error) {
      this.el('delivery-error').textContent = error.message;
      return false;
    }
  }

  async setCodes(codes, done) {
    const box = this.el('discount-error');
    box.textContent = '';
    try {
      const errors = await this.update(Q.discountCodes, { codes }, 'cartDiscountCodesUpdate');
      if (errors.length) { box.textContent = errors.map(shopperMessage).join(' '); return; }
      await this.keepADeliveryOption();  // a discount can take the cart under a free-shipping threshold
      if (done) this.el('discount-error').textContent = '';
    } catch (error) {
      box.textContent = error.message;
    }
  }

  async applyCode() {
    const input = this.el('discount-code');
    const code = input.value.trim().toUpperCase();
    if (!code) { this.el('discount-error').textContent = 'Enter a discount code.'; input.focus(); return; }
    const codes = this.cart.discountCodes.map((c) => c.code).filter((c) => c !== code);
    await this.setCodes([...codes, code]);
    if (this.cart.discountCodes.some((c) => c.code === code)) input.value = '';
  }

  setBusy(on, label) {
    const button = this.el('pay');
    this.busy = on;
    button.disabled = on || (!this.nothingToPay() && !this.cardsWork);
    this.form.setAttribute('aria-busy', String(on));
    button.textContent = on ? label : this.payLabel();
  }

  clearErrors() {
    this.el('form-error').replaceChildren();
    showError(this.el('email-error'), this.el('email'), '');
    showError(this.el('card-error'), null, '');
  }

  /** A refusal goes next to its field (email, card, delivery); the rest above the form. */
  showUserErrors(errors) {
    let focused = false;
    for (const error of errors) {
      const field = (error.field || []).slice(-1)[0];
      const message = shopperMessage(error);
      if (field === 'savedPaymentMethodId') this.wallet.chooseNewCard();  // removed meanwhile: type a card in
      if (field === 'email' || field === 'paymentToken' || field === 'savedPaymentMethodId') {
        const input = field === 'email' ? this.el('email') : null;
        showError(this.el(field === 'email' ? 'email-error' : 'card-error'), input, message);
        if (!focused) { if (input) input.focus(); else focusCard(this.card, this.mount); focused = true; }
        continue;
      }
      const box = this.el('form-error');
      box.append(h('p', {}, message));
      if (error.code === 'INSUFFICIENT_STOCK' || error.code === 'OUT_OF_STOCK') {
        box.append(h('p', {}, h('a', { href: '#/cart' }, 'Review your cart')));
      } else if (isStale(error)) {  // checked out elsewhere, or gone
        setCart(null);
        box.append(h('p', {}, h('a', { href: '#/' }, 'Continue shopping')));
      }
      if (!focused) { box.focus(); focused = true; }
    }
  }

  async cardToken() {
    try {
      const result = await stripeJs().createToken(this.card);
      if (result && result.token) return result.token.id;
      showError(this.el('card-error'), null, cardTokenMessage(result && result.error));
    } catch (error) {  // the emulator's element throws when nothing was typed
      showError(this.el('card-error'), null, cardTokenMessage(null));
    }
    focusCard(this.card, this.mount);
    return null;
  }

  /** How this attempt pays: a saved card, a new card saved first, or a card token; null after an error. */
  async paymentInput() {
    const saved = this.wallet.chosenCard();
    if (saved) return { savedPaymentMethodId: saved };
    if (this.wallet.saveCardWanted()) {
      const showCardError = (message) => { showError(this.el('card-error'), null, message); focusCard(this.card, this.mount); };
      const id = await this.wallet.saveNewCard(this.card, showCardError);
      return id ? { savedPaymentMethodId: id } : null;
    }
    const paymentToken = await this.cardToken();
    return paymentToken ? { paymentToken } : null;
  }

  /** Whether the cart is ready to pay for; says what is missing when it is not. */
  async readyToPay() {
    await changeCart(async () => []);  // the address or option being sent has been answered
    if (!this.cart.requiresShipping) return true;
    if (this.address.reportMissing()) return false;
    if (this.address.dirty()) {  // typed but not sent yet: send it, and let the shopper see the new total
      if (await this.saveAddress(this.address.value())) {
        this.el('form-error').replaceChildren(h('p', {}, 'Check your delivery option and the total, then pay.'));
      }
      return false;
    }
    if (!this.cart.selectedDeliveryOption) {
      this.el('delivery-error').textContent = this.cart.deliveryOptions.length
        ? 'Choose a delivery option.' : 'We do not deliver to this address. Please use another one.';
      return false;
    }
    return true;
  }

  /** Reads the cart again and redraws it; a failure leaves the page as it was. */
  async reload() {
    try {
      const cart = (await gql(Q.checkoutCart, { id: this.cart.id })).cart;
      if (cart) { this.cart = cart; setCart(cart); this.render(); }
    } catch (error) { /* the page still shows the last answer */ }
  }

  async totalChanged(seen) {
    await this.reload();
    const box = this.el('form-error');
    box.replaceChildren(
      h('p', { id: 'total-changed' }, `The total changed from ${money(seen)} to ${money(this.cart.cost.total)} `
        + 'since you saw it, so nothing was charged. Check the new total, then pay again.'));
    box.focus();
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
    this.setBusy(true, 'Checking your order…');
    let done = false;
    try {
      if (!(await this.readyToPay())) return;
      const free = this.nothingToPay();  // decided on the cart as the shop last answered
      if (!free) this.setBusy(true, 'Checking your card…');
      const payment = free ? {} : await this.paymentInput();
      if (!payment) return;
      const seen = this.cart.cost.total;  // what the Pay button and the breakdown show
      this.attemptKey = this.attemptKey || newAttemptKey();
      this.setBusy(true, free ? 'Placing your order…' : 'Paying…');
      let payload = (await gql(Q.checkout, { input: {
        cartId: this.cart.id, email: address, ...payment, idempotencyKey: this.attemptKey, expectedTotal: seen.amount,
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
        await this.wallet.keepAddress(this.address.value());
        setCart(null);  // the cart became this order
        location.hash = `#/order/${encodeURIComponent(payload.order.id)}`;
        return;
      }
      if (payload.userErrors.some((e) => e.code === 'TOTAL_CHANGED')) await this.totalChanged(seen);
      else if (payload.userErrors.length) {
        if (free) await this.reload();  // a code's last use went meanwhile: the card comes back
        this.showUserErrors(payload.userErrors);
      }
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
  const stored = currentCart();
  if (!stored || !stored.lines.length) {
    notice('Checkout', 'Your cart is empty. ', h('a', { href: '#/' }, 'Browse products'), '.');
    return;
  }
  let cart;
  try {
    cart = (await gql(Q.checkoutCart, { id: stored.id })).cart;
  } catch (error) {
    if (stillHere()) notice('Checkout', error.message);
    return;
  }
  if (!stillHere()) return;
  let page = null;
  const address = new AddressForm((value) => { if (page) page.saveAddress(value); });
  const view = h('section', {}, h('h1', {}, 'Checkout'),
    h('div', { class: 'checkout-grid' }, checkoutForm(address), orderSummary()));
  page = new Checkout(view, cart, stillHere);
  page.address = address;
  page.wallet = new CheckoutWallet(view, async (saved) => {
    await address.load(saved);
    page.saveAddress(address.value());
  });
  const me = await page.wallet.load();
  if (!stillHere()) return;
  page.render();
  show(view, 'Checkout');
  page.wallet.render();
  if (cart.email || me) view.querySelector('#email').value = cart.email || me.email;
  try {
    await address.load(cart.shippingAddress);
  } catch (error) {
    address.showError(null, error.message);
  }
  if (!stillHere()) return;
  if (cart.shippingAddress) page.keepADeliveryOption();  // the option chosen before may no longer fit
  if (!canPay()) {
    view.querySelector('#card-element').replaceChildren(
      h('p', {}, 'Card payments are not available right now. Please try again later.'));
    page.cardsWork = false;  // an order with nothing to pay can still be placed
    page.renderPayment();
    return;
  }
  page.mountCard();
}
