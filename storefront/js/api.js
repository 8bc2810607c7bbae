// The shop's public GraphQL API (/graphql): the documents this page sends.

import { inContext } from './market.js';

const MONEY = 'amount currencyCode minorUnits';
const IMAGE = 'url altText';
const CART_FIELDS = `id status currencyCode totalQuantity subtotal { ${MONEY} } total { ${MONEY} }
  lines { id quantity unitPrice { ${MONEY} } total { ${MONEY} }
    variant { id title quantityAvailable selectedOptions { name value } image { ${IMAGE} } }
    product { id slug title featuredImage { ${IMAGE} } } }`;
const COST = `subtotal { ${MONEY} } discount { ${MONEY} } shipping { ${MONEY} } tax { ${MONEY} } total { ${MONEY} }
  taxesIncluded`;
const TAX_LINES = `taxLines { title ratePercentage amount { ${MONEY} } }`;
const ADDRESS = 'firstName lastName company address1 address2 city provinceCode zip countryCode';
/** The cart as checkout shows it: address, delivery options, codes and every amount. */
const CHECKOUT_CART_FIELDS = `${CART_FIELDS} email requiresShipping shippingAddress { ${ADDRESS} }
  deliveryOptions { handle title estimatedCost { ${MONEY} } minDeliveryDays maxDeliveryDays }
  selectedDeliveryOption { handle title }
  discountCodes { code applicable } ${TAX_LINES} cost { ${COST} }`;
const ORDER_FIELDS = `id number status email subtotal { ${MONEY} } total { ${MONEY} }
  lines { id title variantTitle sku quantity unitPrice { ${MONEY} } total { ${MONEY} } }
  shippingAddress { formatted } shippingLine { title price { ${MONEY} } }
  discountApplications { code amount { ${MONEY} } } ${TAX_LINES} cost { ${COST} }
  payment { status cardBrand cardLast4 }`;
const VARIANT_FIELDS = `id title availableForSale quantityAvailable selectedOptions { name value }
  price { ${MONEY} } compareAtPrice { ${MONEY} } image { ${IMAGE} }`;
/** What a card needs of each variant: less than a product page, so a page of cards stays cheap. */
const CARD_VARIANT_FIELDS = `id title availableForSale quantityAvailable selectedOptions { name value }
  price { ${MONEY} } image { url }`;
const productFields = (variantFields) => `id slug title description availableForSale quantityAvailable
  featuredImage { ${IMAGE} } priceRange { minVariantPrice { ${MONEY} } }
  options { name values }
  variants(first: $variants) { totalCount nodes { ${variantFields} } }`;
const PAGE = `totalCount nodes { ${productFields(CARD_VARIANT_FIELDS)} }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  facets { available { value count } tag { value count } options { name values { value count } }
    price { min { ${MONEY} } max { ${MONEY} } } }`;
const PAGE_ARGS = `$first: Int, $after: String, $last: Int, $before: String, $query: String,
  $filters: ProductFilter, $sortKey: ProductSortKey, $reverse: Boolean, $variants: Int!`;
const PAGE_PARAMS = `first: $first, after: $after, last: $last, before: $before, query: $query, filters: $filters,
  sortKey: $sortKey, reverse: $reverse`;
const USER_ERRORS = 'userErrors { field message code }';

const CARD = 'id brand last4 expMonth expYear';
const MARKET = 'handle name countries currencyCode languageCode primary';

/** The buyer's market and language (market.js), on every document that shows the catalog or a cart. */
const CONTEXT_ARGS = '$country: CountryCode, $language: LanguageCode';
const IN_CONTEXT = '@inContext(country: $country, language: $language)';
/** What a cart change did besides what was asked: a new currency, lines removed (its market changed). */
const WARNINGS = 'warnings { code message target }';
const SAVED_ADDRESS = `id isDefault address { ${ADDRESS} formatted }`;

export const Q = {
  products: `query Products(${PAGE_ARGS}, ${CONTEXT_ARGS}) ${IN_CONTEXT} { products(${PAGE_PARAMS}) { ${PAGE} } }`,
  collectionProducts: `query CollectionProducts($slug: String!, ${PAGE_ARGS}, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    collection(slug: $slug) { id slug title description products(${PAGE_PARAMS}) { ${PAGE} } } }`,
  collections: `query Collections(${CONTEXT_ARGS}) ${IN_CONTEXT} { collections(first: 100) {
    nodes { id slug title description image { ${IMAGE} } products(first: 1) { totalCount } } } }`,
  product: `query Product($slug: String!, $variants: Int!, ${CONTEXT_ARGS}) ${IN_CONTEXT} { product(slug: $slug) { ${productFields(VARIANT_FIELDS)} } }`,
  cart: `query Cart($id: ID!, ${CONTEXT_ARGS}) ${IN_CONTEXT} { cart(id: $id) { ${CART_FIELDS} } }`,
  order: `query Order($id: ID!, ${CONTEXT_ARGS}) ${IN_CONTEXT} { order(id: $id) { ${ORDER_FIELDS} } }`,
  addToCart: `mutation AddToCart($cartId: ID, $variantId: ID!, $quantity: Int!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    addToCart(cartId: $cartId, variantId: $variantId, quantity: $quantity) { cart { ${CART_FIELDS} } ${USER_ERRORS}
      ${WARNINGS} } }`,
  updateCartLine: `mutation UpdateCartLine($cartId: ID!, $lineId: ID!, $quantity: Int!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    updateCartLine(cartId: $cartId, lineId: $lineId, quantity: $quantity) { cart { ${CART_FIELDS} } ${USER_ERRORS} } }`,
  removeFromCart: `mutation RemoveFromCart($cartId: ID!, $lineId: ID!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    removeFromCart(cartId: $cartId, lineId: $lineId) { cart { ${CART_FIELDS} } ${USER_ERRORS} } }`,
  checkoutCart: `query CheckoutCart($id: ID!, ${CONTEXT_ARGS}) ${IN_CONTEXT} { cart(id: $id) { ${CHECKOUT_CART_FIELDS} } }`,
  shippingCountries: 'query ShippingCountries { shippingCountries { code name provinceRequired postalCodeRequired } }',
  provinces: `query Provinces($codes: [String!]) { shippingCountries(codes: $codes) {
    code provinces { code name } } }`,
  shipTo: `mutation ShipTo($cartId: ID!, $address: MailingAddressInput!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    cartShippingAddressUpdate(cartId: $cartId, address: $address) { cart { ${CHECKOUT_CART_FIELDS} } ${USER_ERRORS}
      ${WARNINGS} } }`,
  chooseDelivery: `mutation ChooseDelivery($cartId: ID!, $handle: String!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    cartSelectedDeliveryOptionUpdate(cartId: $cartId, handle: $handle) {
      cart { ${CHECKOUT_CART_FIELDS} } ${USER_ERRORS} } }`,
  discountCodes: `mutation DiscountCodes($cartId: ID!, $codes: [String!]!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    cartDiscountCodesUpdate(cartId: $cartId, codes: $codes) { cart { ${CHECKOUT_CART_FIELDS} } ${USER_ERRORS} } }`,
  checkout: `mutation Checkout($input: CheckoutInput!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    checkout(input: $input) { order { ${ORDER_FIELDS} } paymentAction { type clientSecret } ${USER_ERRORS} } }`,
  register: `mutation Register($email: String!, $password: String!) {
    customerRegister(email: $email, password: $password) { ${USER_ERRORS} } }`,
  login: `mutation Login($email: String!, $password: String!, $cartId: ID) {
    customerLogin(email: $email, password: $password, cartId: $cartId) { sessionToken ${USER_ERRORS} } }`,
  logout: 'mutation Logout { customerLogout { userErrors { code } } }',
  wallet: `query Wallet { me { email addresses { ${SAVED_ADDRESS} } defaultAddress { ${SAVED_ADDRESS} }
    paymentMethods { ${CARD} } } }`,
  saveAddress: `mutation SaveAddress($address: MailingAddressInput!) {
    customerAddressCreate(address: $address) { customerAddress { ${SAVED_ADDRESS} } ${USER_ERRORS} } }`,
  deleteAddress: `mutation DeleteAddress($id: ID!) { customerAddressDelete(id: $id) { ${USER_ERRORS} } }`,
  cardSetup: `mutation CardSetup { customerPaymentMethodSetup { clientSecret setupIntentId ${USER_ERRORS} } }`,
  cardSetupComplete: `mutation CardSetupComplete($setupIntentId: String!) {
    customerPaymentMethodSetupComplete(setupIntentId: $setupIntentId) { paymentMethod { ${CARD} } ${USER_ERRORS} } }`,
  deleteCard: `mutation DeleteCard($id: ID!) { customerPaymentMethodDelete(id: $id) { ${USER_ERRORS} } }`,
  localization: `query Localization { localization { availableMarkets { ${MARKET} } } }`,
  buyerCountry: `mutation BuyerCountry($cartId: ID!, $countryCode: String!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    cartBuyerIdentityUpdate(cartId: $cartId, countryCode: $countryCode) { cart { ${CART_FIELDS} } ${USER_ERRORS}
      ${WARNINGS} } }`,
  checkoutConfirm: `mutation CheckoutConfirm($orderId: ID!, ${CONTEXT_ARGS}) ${IN_CONTEXT} {
    checkoutConfirm(orderId: $orderId) { order { ${ORDER_FIELDS} } paymentAction { type clientSecret } ${USER_ERRORS} } }`,
};

/** A request whose outcome we do not know: no answer, or the server failed. */
export class ShopUnavailable extends Error {}

const SESSION_KEY = 'shopgraph.session';

/** The signed-in customer's session token (localStorage), or null for a guest. */
export function sessionToken() {
  try { return localStorage.getItem(SESSION_KEY); } catch (error) { return null; }
}

export function setSessionToken(token) {
  try {
    if (token) localStorage.setItem(SESSION_KEY, token);
    else localStorage.removeItem(SESSION_KEY);
  } catch (error) { /* storage is off: the session lasts as long as the page */ }
}

/** The `data` of a GraphQL request; ShopUnavailable when there is none. A signed-in
 * shopper's requests carry their session; an expired one is dropped and the request
 * sent again as a guest's. A document `IN_CONTEXT` gets the buyer's country and language. */
export async function gql(query, variables) {
  if (query.includes(IN_CONTEXT)) variables = { ...variables, ...inContext() };
  const token = sessionToken();
  let response;
  try {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ShopUnavailable('We could not reach the shop. Check your connection and try again.');
  }
  let body = null;
  try { body = await response.json(); } catch (error) { /* handled below */ }
  if (token && body && (body.errors || []).some((e) => (e.extensions || {}).code === 'UNAUTHENTICATED')) {
    setSessionToken(null);
    return gql(query, variables);
  }
  if (!body || !body.data || (body.errors && body.errors.length)) {
    if (body && body.errors) console.error('GraphQL errors', body.errors);
    throw new ShopUnavailable('Something went wrong on our side. Please try again in a moment.');
  }
  return body.data;
}

/** What a shopper reads for a `UserError`. */
export function shopperMessage(error) {
  switch (error.code) {
    case 'CARD_DECLINED':
      return /another card/i.test(error.message) ? error.message : `${error.message.trim()} Please try another card.`;
    case 'CART_EMPTY':
      return 'Your cart is empty. Add something before you pay.';
    case 'CART_ALREADY_CHECKED_OUT':
      return 'This cart has already been checked out. Start a new cart to buy more.';
    case 'OUT_OF_STOCK':
    case 'INSUFFICIENT_STOCK':
      return `${error.message} Please change your cart.`;
    case 'TOTAL_CHANGED':
      return 'The total changed since you saw it, so nothing was charged. Check the new total below, then pay again.';
    case 'SHIPPING_ADDRESS_REQUIRED':
      return 'Enter your shipping address first.';
    case 'DELIVERY_OPTION_REQUIRED':
      return /deliver to/i.test(error.message) ? `${error.message} Please use another address.` : 'Choose a delivery option.';
    case 'PAYMENT_METHOD_REMOVED':
      return 'This saved card was removed. Please choose another card.';
    case 'IDEMPOTENCY_KEY_REUSED':
      return 'Something went wrong with this attempt. Please try again.';
    default:
      return error.message;
  }
}
