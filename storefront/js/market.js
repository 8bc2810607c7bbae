// The buyer's market: the country (and with it the currency) and the language the
// shop answers in. The choice is kept in localStorage; every catalog and cart
// document sends it as `@inContext(country: $country, language: $language)`
// (api.js adds the variables), so prices, facets, the price filter and the price
// sort come in the market's currency and titles in the language. The list comes
// from `localization.availableMarkets`: each market's countries, in its currency.

const CHOICE_KEY = 'shopgraph.market';

let markets = [];                  // localization.availableMarkets, the primary market first
let byCountry = new Map();         // country code -> its market

function readChoice() {
  try {
    const stored = JSON.parse(localStorage.getItem(CHOICE_KEY) || 'null');
    if (stored && typeof stored === 'object') return { country: stored.country || null, language: stored.language || null };
  } catch (error) { /* storage off or garbled: nothing chosen */ }
  return { country: null, language: null };
}

function keepChoice() {
  try { localStorage.setItem(CHOICE_KEY, JSON.stringify(choice)); } catch (error) { /* lasts as long as the page */ }
}

let choice = readChoice();  // {country, language}; language null: the market's own

/** Reads the markets (`localization`); a stored country the shop no longer lists is dropped. */
export async function loadMarkets(gql, query) {
  try {
    markets = (await gql(query)).localization.availableMarkets;
  } catch (error) {
    markets = [];  // the shop answers again later: meanwhile its own market
  }
  byCountry = new Map(markets.flatMap((market) => market.countries.map((country) => [country, market])));
  if (choice.country && !byCountry.has(choice.country)) choice = { country: null, language: null };
  if (choice.language && !languages().includes(choice.language)) choice.language = null;
}

export const availableMarkets = () => markets;

/** The market that serves the chosen country (the primary one when none is chosen). */
export function currentMarket() {
  return byCountry.get(choice.country) || markets.find((m) => m.primary) || null;
}

export const chosenCountry = () => choice.country;

/** The language the shop answers in: the one chosen, else the market's. */
export function currentLanguage() {
  const market = currentMarket();
  return choice.language || (market ? market.languageCode : null);
}

/** The languages a buyer may choose: each market's, the primary market's first. */
export function languages() {
  return [...new Set(markets.map((m) => m.languageCode))];
}

/** The variables of `@inContext`; null leaves a choice to the shop. */
export function inContext() {
  return { country: choice.country, language: choice.language };
}

/** The locale numbers are written in ("de-DE"); undefined lets the browser choose. */
export function locale() {
  const language = currentLanguage();
  if (!language) return undefined;
  return choice.country ? `${language.toLowerCase()}-${choice.country}` : language.toLowerCase();
}

/** Chooses `country`; the language goes back to its market's. */
export function chooseCountry(country) {
  choice = { country, language: null };
  keepChoice();
}

/** Chooses `language`; the market's own language is kept as no choice. */
export function chooseLanguage(language) {
  const market = currentMarket();
  choice = { ...choice, language: market && market.languageCode === language ? null : language };
  keepChoice();
}

/** A name for a country or language code in the buyer's language ("Germany"); the code when there is none. */
export function displayName(code, type) {
  try {
    return new Intl.DisplayNames([locale() || 'en'], { type }).of(type === 'language' ? code.toLowerCase() : code) || code;
  } catch (error) {
    return code;
  }
}

/** Decimals the currency of `money` has (2 for EUR, 0 for JPY), read from the API's own amount. */
export function decimalsOf(money) {
  const at = money.amount.indexOf('.');
  return at < 0 ? 0 : money.amount.length - at - 1;
}
