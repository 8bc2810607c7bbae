// The signed-in buyer's wallet at checkout: their saved addresses to ship to, their
// saved cards to pay with (the first one chosen), and "save this card / address for
// next time". A new card is saved through a SetupIntent: Stripe.js confirmCardSetup
// (3-D Secure included), then customerPaymentMethodSetupComplete; checkout then pays
// with it as a saved card. Guests see none of this.

import { cardLabel, loadWallet } from './account.js';
import { Q, gql, shopperMessage } from './api.js';
import { h } from './dom.js';
import { stripeJs } from './payment.js';

const NEW_CARD = 'new';

export class CheckoutWallet {
  /** `view` is the checkout page; `onAddress(address)` ships the cart to a saved address. */
  constructor(view, onAddress) {
    this.el = (id) => view.querySelector(`#${id}`);
    this.onAddress = onAddress;
    this.me = null;
  }

  async load() {
    try {
      this.me = await loadWallet();
    } catch (error) {
      this.me = null;  // the wallet is a convenience: checkout works without it
    }
    return this.me;
  }

  render() {
    if (!this.me) return;
    this.el('save-address-row').hidden = false;
    this.el('save-card-row').hidden = false;
    const addresses = this.me.addresses;
    if (addresses.length) {
      const select = h('select', { id: 'saved-address' },
        h('option', { value: '' }, 'Choose a saved address…'),
        addresses.map((a) => h('option', { value: a.id }, a.address.formatted.join(', '))));
      select.addEventListener('change', () => {
        const chosen = addresses.find((a) => a.id === select.value);
        if (chosen) this.onAddress(chosen.address);
      });
      this.el('saved-address-picker').replaceChildren(
        h('div', { class: 'field' }, h('label', { for: 'saved-address' }, 'Ship to a saved address'), select));
    }
    const cards = this.me.paymentMethods;
    if (!cards.length) return;
    const option = (value, label, checked) => {
      const id = `pay-with-${value}`;
      return h('li', {}, h('input', { type: 'radio', name: 'pay-with', id, value, checked }),
        h('label', { for: id, class: 'check' }, label));
    };
    const list = h('ul', { class: 'delivery-options', id: 'saved-cards-choice' },
      cards.map((c, i) => option(c.id, cardLabel(c), i === 0)), option(NEW_CARD, 'A new card', false));
    list.addEventListener('change', () => this.showNewCard());
    this.el('saved-card-picker').replaceChildren(
      h('fieldset', { class: 'delivery' }, h('legend', {}, 'Pay with'), list));
    this.showNewCard();
  }

  showNewCard() {
    this.el('new-card').hidden = this.chosenCard() !== null;
  }

  chooseNewCard() {
    const choice = this.el(`pay-with-${NEW_CARD}`);
    if (choice) choice.checked = true;
    this.showNewCard();
  }

  /** The saved card chosen, or null for a new card (or a guest). */
  chosenCard() {
    const chosen = this.el('saved-cards-choice') && this.el('saved-cards-choice').querySelector('input:checked');
    return chosen && chosen.value !== NEW_CARD ? chosen.value : null;
  }

  saveCardWanted() { return Boolean(this.me) && this.el('save-card').checked; }

  saveAddressWanted() { return Boolean(this.me) && this.el('save-address').checked; }

  /** Saves the card typed in `card` (a Stripe element); its wallet id, or null after `showError(message)`. */
  async saveNewCard(card, showError) {
    const setup = (await gql(Q.cardSetup)).customerPaymentMethodSetup;
    if (setup.userErrors.length) { showError(setup.userErrors.map(shopperMessage).join(' ')); return null; }
    let outcome;
    try {
      outcome = await stripeJs().confirmCardSetup(setup.clientSecret, { payment_method: { card } });
    } catch (error) {
      outcome = { error };
    }
    if (!outcome || outcome.error) {
      showError((outcome && outcome.error && outcome.error.message) || 'Your card could not be saved.');
      return null;
    }
    const saved = (await gql(Q.cardSetupComplete, { setupIntentId: setup.setupIntentId })).customerPaymentMethodSetupComplete;
    if (saved.userErrors.length) { showError(saved.userErrors.map(shopperMessage).join(' ')); return null; }
    return saved.paymentMethod.id;
  }

  /** Keeps the address for next time, when asked to (a failure only costs the convenience). */
  async keepAddress(address) {
    if (!this.saveAddressWanted()) return;
    try { await gql(Q.saveAddress, { address }); } catch (error) { /* the order is made either way */ }
  }
}
