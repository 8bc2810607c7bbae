// Choosing a variant: one select per option. A value is disabled when, with the
// other values chosen, it names no variant in stock; the chosen variant's price,
// image and stock are what the product shows and what goes in the cart.

import { h, hidden } from './dom.js';

const valueOf = (variant, name) => (variant.selectedOptions.find((o) => o.name === name) || {}).value;

/** True when `product` needs a choice: it has more than one variant. */
export const hasChoices = (product) => product.variants.totalCount > 1 && product.options.length > 0;

/** True when every variant is in `product.variants.nodes` (a grid fetches only a page of them). */
export const allVariantsLoaded = (product) => product.variants.nodes.length >= product.variants.totalCount;

/** The variant whose options are exactly `choice` ({name: value}); undefined when there is none. */
export function variantFor(product, choice) {
  return product.variants.nodes.find((v) => product.options.every((o) => valueOf(v, o.name) === choice[o.name]));
}

/** True when `value` of option `name`, beside the other chosen values, names a variant in stock. */
export function canChoose(product, choice, name, value) {
  const variant = variantFor(product, { ...choice, [name]: value });
  return Boolean(variant && variant.availableForSale);
}

/** What a shopper starts with: the first variant in stock, else the first one. */
export function firstChoice(product) {
  const variants = product.variants.nodes;
  return variants.find((v) => v.availableForSale) || variants[0];
}

/**
 * The pickers for `product`, starting at `variant`; `onChange(variant)` runs on every choice.
 * `about` names the product for screen readers where several are on the page ("of Classic Tee").
 */
export function optionPickers(product, variant, onChange, about = '') {
  const choice = Object.fromEntries(product.options.map((o) => [o.name, valueOf(variant, o.name)]));
  const selects = product.options.map((option, i) => {
    const id = `option-${product.slug}-${i}`;
    const select = h('select', { id, name: option.name, class: 'option-select' },
      option.values.map((value) => h('option', { value, selected: value === choice[option.name] }, value)));
    select.addEventListener('change', () => {
      choice[option.name] = select.value;
      refresh();
      onChange(variantFor(product, choice));
    });
    return { option, select, field: h('div', { class: 'field option-field' },
      h('label', { for: id }, option.name, about ? hidden(` ${about}`) : null), select) };
  });
  function refresh() {
    for (const { option, select } of selects) {
      for (const item of select.options) {
        const open = item.value === choice[option.name] || canChoose(product, choice, option.name, item.value);
        item.disabled = !open;
        item.textContent = open ? item.value : `${item.value} (${variantFor(product, { ...choice, [option.name]: item.value }) ? 'sold out' : 'unavailable'})`;
      }
    }
  }
  refresh();
  return h('div', { class: 'option-pickers' }, selects.map((s) => s.field));
}
