// The header's country/currency and language picker (as Shopify's localization
// selector). A new country moves the open cart to its market and says what that
// changed; then the page is drawn again in the new currency and language.

import { Q, gql, shopperMessage } from './api.js';
import { moveCart } from './cart.js';
import { h, showNotices } from './dom.js';
import { availableMarkets, chooseCountry, chooseLanguage, chosenCountry, currentLanguage, currentMarket,
  displayName, languages, loadMarkets, locale } from './market.js';

/** A language named in itself ("Deutsch", "English"). */
function ownName(code) {
  try {
    return new Intl.DisplayNames([code.toLowerCase()], { type: 'language' }).of(code.toLowerCase()) || code;
  } catch (error) {
    return code;
  }
}

function countryOptions() {
  const shown = availableMarkets().flatMap((market) => market.countries.map((country) =>
    ({ country, label: `${displayName(country, 'region')} (${market.currencyCode})` })));
  return shown.sort((a, b) => a.label.localeCompare(b.label, locale()));
}


/**
 * Reads the markets and draws the picker into `#localization`; `redraw()` draws the page
 * again after a change (`dropPriceFilter()` first: its amounts were in the old currency).
 */
export async function startLocalization(redraw) {
  await loadMarkets(gql, Q.localization);
  const slot = document.getElementById('localization');
  const paint = () => {
    const markets = availableMarkets();
    if (markets.length < 2 && languages().length < 2) { slot.replaceChildren(); return; }
    const market = currentMarket();
    const country = h('select', { id: 'country-picker', name: 'country', autocomplete: 'country' },
      chosenCountry() ? null : h('option', { value: '', selected: true }, `Choose… (${market.currencyCode})`),
      countryOptions().map(({ country: code, label }) => h('option', { value: code, selected: code === chosenCountry() }, label)));
    const language = h('select', { id: 'language-picker', name: 'language' },
      languages().map((code) => h('option', { value: code, selected: code === currentLanguage(), lang: code.toLowerCase() },
        ownName(code))));
    country.addEventListener('change', async () => {
      if (!country.value) return;
      chooseCountry(country.value);
      let messages;
      try {
        const payload = await moveCart(country.value);
        messages = [...payload.userErrors.map(shopperMessage), ...payload.warnings.map((w) => w.message)];
      } catch (error) {
        messages = [error.message];
      }
      paint();
      showNotices(messages);
      await redraw({ currencyChanged: true });
      document.getElementById('country-picker').focus();
    });
    language.addEventListener('change', async () => {
      chooseLanguage(language.value);
      paint();
      await redraw({ currencyChanged: false });
      document.getElementById('language-picker').focus();
    });
    slot.replaceChildren(h('form', { class: 'localization', 'aria-label': 'Country and language' },
      h('label', { for: 'country-picker' }, 'Country/region'), country,
      h('label', { for: 'language-picker' }, 'Language'), language));
    document.documentElement.lang = (currentLanguage() || 'en').toLowerCase();
  };
  paint();
  // A shipping address in another market's country moved the cart there: the picker follows it.
  document.addEventListener('cart-market-moved', (event) => {
    if (event.detail === chosenCountry()) return;
    chooseCountry(event.detail);
    paint();
  });
}
