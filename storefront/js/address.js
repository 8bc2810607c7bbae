// The shipping address fieldset: a country picker of the countries the shop
// delivers to (`shippingCountries`), the chosen country's provinces, and the
// address lines. It tells its owner when a complete address changed.

import { Q, gql } from './api.js';
import { h } from './dom.js';

let countriesAnswer = null;  // the shop's countries, asked once per page load
const provincesByCountry = new Map();

function shippingCountries() {
  countriesAnswer = countriesAnswer || gql(Q.shippingCountries).then((d) => d.shippingCountries)
    .catch((error) => { countriesAnswer = null; throw error; });
  return countriesAnswer;
}

async function provincesOf(code) {
  if (!provincesByCountry.has(code)) {
    const [country] = (await gql(Q.provinces, { codes: [code] })).shippingCountries;
    provincesByCountry.set(code, country ? country.provinces : []);
  }
  return provincesByCountry.get(code);
}

// API field -> [label, autocomplete, required]
const TEXT_FIELDS = [
  ['firstName', 'First name', 'given-name', false],
  ['lastName', 'Last name', 'family-name', false],
  ['address1', 'Street address', 'address-line1', true],
  ['address2', 'Apartment, suite, etc. (optional)', 'address-line2', false],
  ['city', 'City', 'address-level2', true],
];

function field(name, label, control) {
  return h('div', { class: `field field-${name}` },
    h('label', { for: `ship-${name}` }, label), control,
    h('p', { class: 'field-error', id: `ship-${name}-error`, role: 'alert' }));
}

function preferredCountry(countries, saved) {
  const codes = new Set(countries.map((c) => c.code));
  if (saved && codes.has(saved)) return saved;
  const region = (navigator.language || '').split('-')[1];
  if (region && codes.has(region.toUpperCase())) return region.toUpperCase();
  return countries.length ? countries[0].code : '';
}

export class AddressForm {
  /** `onComplete(address)` runs when every required field is filled and something changed. */
  constructor(onComplete) {
    this.onComplete = onComplete;
    this.countries = [];
    this.sent = null;  // the address last handed to onComplete, as JSON
    this.turns = 0;    // calls of countryChanged, so only the latest one draws the provinces
    this.input = (name) => this.root.querySelector(`#ship-${name}`);
    this.country = h('select', { id: 'ship-countryCode', autocomplete: 'country', 'aria-describedby': 'ship-countryCode-error' });
    this.province = h('select', { id: 'ship-provinceCode', autocomplete: 'address-level1',
      'aria-describedby': 'ship-provinceCode-error' });
    this.provinceLabel = h('span', {}, 'State or province');
    this.zipLabel = h('span', {}, 'Postal code');
    this.provinceField = field('provinceCode', this.provinceLabel, this.province);
    this.root = h('fieldset', { class: 'address-form', 'aria-describedby': 'address-error' },
      h('legend', {}, 'Shipping address'),
      h('p', { class: 'field-error', id: 'address-error', role: 'alert' }),
      field('countryCode', 'Country', this.country),
      h('div', { class: 'field-row' }, TEXT_FIELDS.slice(0, 2).map(([name, label, auto]) =>
        field(name, label, h('input', { id: `ship-${name}`, type: 'text', autocomplete: auto,
          'aria-describedby': `ship-${name}-error` })))),
      TEXT_FIELDS.slice(2).map(([name, label, auto, required]) =>
        field(name, label, h('input', { id: `ship-${name}`, type: 'text', autocomplete: auto, required,
          'aria-describedby': `ship-${name}-error` }))),
      h('div', { class: 'field-row' }, this.provinceField,
        field('zip', this.zipLabel, h('input', { id: 'ship-zip', type: 'text', autocomplete: 'postal-code',
          spellcheck: 'false', 'aria-describedby': 'ship-zip-error' }))));
    this.root.addEventListener('change', (event) => {
      if (event.target === this.country) this.countryChanged().then(() => this.changed());
      else this.changed();
    });
  }

  /** Loads the countries and puts `saved` (the cart's address) in the fields. */
  async load(saved) {
    this.countries = await shippingCountries();
    this.country.replaceChildren(...this.countries.map((c) => h('option', { value: c.code }, c.name)));
    this.country.value = preferredCountry(this.countries, saved && saved.countryCode);
    if (saved) for (const [name] of TEXT_FIELDS) this.input(name).value = saved[name] || '';
    if (saved) this.input('zip').value = saved.zip || '';
    await this.countryChanged(saved && saved.provinceCode);
    if (saved) this.sent = JSON.stringify(this.value());
  }

  chosenCountry() {
    return this.countries.find((c) => c.code === this.country.value) || null;
  }

  /** Shows the chosen country's provinces, keeping `provinceCode` (or the one chosen) if it is one of them. */
  async countryChanged(provinceCode) {
    const turn = ++this.turns;
    const country = this.chosenCountry();
    const provinces = country ? await provincesOf(country.code) : [];
    if (turn !== this.turns) return;  // the country changed again meanwhile: the later call draws
    const keep = provinceCode || this.province.value;
    const required = Boolean(country && country.provinceRequired);
    this.province.replaceChildren(
      h('option', { value: '' }, required ? 'Choose…' : '—'),
      ...provinces.map((p) => h('option', { value: p.code }, p.name)));
    this.province.value = keep && provinces.some((p) => p.code === keep) ? keep : '';
    this.province.required = required;
    this.provinceLabel.textContent = required ? 'State or province' : 'State or province (optional)';
    this.provinceField.hidden = provinces.length === 0;
    const zipRequired = Boolean(country && country.postalCodeRequired);
    this.input('zip').required = zipRequired;
    this.zipLabel.textContent = zipRequired ? 'Postal code' : 'Postal code (optional)';
  }

  value() {
    const address = { countryCode: this.country.value, provinceCode: this.province.value || null };
    for (const [name] of TEXT_FIELDS) address[name] = this.input(name).value.trim() || null;
    address.zip = this.input('zip').value.trim() || null;
    return address;
  }

  /** The first required field left empty, or null. */
  missing() {
    const country = this.chosenCountry();
    if (!country) return 'countryCode';
    const address = this.value();
    if (!address.address1) return 'address1';
    if (!address.city) return 'city';
    if (country.provinceRequired && !address.provinceCode) return 'provinceCode';
    if (country.postalCodeRequired && !address.zip) return 'zip';
    return null;
  }

  /** Whether the fields hold something other than what was last sent. */
  dirty() {
    return JSON.stringify(this.value()) !== this.sent;
  }

  changed() {
    if (this.missing() || !this.dirty()) return;
    this.sent = JSON.stringify(this.value());
    this.onComplete(this.value());
  }

  /** Forgets what was sent, so the next change sends again (after a refusal). */
  unsent() {
    this.sent = null;
  }

  clearErrors() {
    for (const box of this.root.querySelectorAll('.field-error')) box.textContent = '';
    for (const el of this.root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  /** Puts `message` next to the field (`zip`, `provinceCode`…) or above the fieldset. */
  showError(name, message, focus = true) {
    const control = name && this.root.querySelector(`#ship-${name}`);
    if (!control) {
      this.root.querySelector('#address-error').textContent = message;
      return;
    }
    this.root.querySelector(`#ship-${name}-error`).textContent = message;
    control.setAttribute('aria-invalid', 'true');
    if (focus) control.focus();
  }

  /** Says which required field is empty; true when one is. */
  reportMissing() {
    const name = this.missing();
    if (!name) return false;
    const words = { countryCode: 'Choose a country.', address1: 'Enter a street address.', city: 'Enter a city.',
      provinceCode: 'Choose a state or province.', zip: 'Enter a postal code.' };
    this.showError(name, words[name]);
    return true;
  }
}
