// Synthetic shoppers for the Online Boutique frontend, run by k6 from the traffic CronJob. The
// journeys, their weights and the think time follow the shop's upstream load generator
// (src/loadgenerator/locustfile.py in GoogleCloudPlatform/microservices-demo), so dashboards and
// alerts see the traffic mix the shop was designed for.
//
// The CronJob sets every variable below from the environment's settings; a missing or malformed
// one stops the run at init, before any traffic:
//   FRONTEND_URL             the frontend's base URL, e.g. http://frontend.microservices-demo.svc.cluster.local:80
//   TRAFFIC_VUS              concurrent shoppers (k6 virtual users): a whole number, at least 1
//   TRAFFIC_DURATION         length of the run: a k6 duration such as 5m, 90s or 1h30m
//   TRAFFIC_MAX_FAILED_RATE  the run fails if a larger share of requests fails: above 0, at most 1 (e.g. 0.01)
//   TRAFFIC_P95_MS           the run fails if the 95th percentile request takes this long or longer, in ms (e.g. 1500)
//
// k6 runs the bundle of this file as it is (apps/traffic/k6-bundle.ts), so it imports k6's own
// modules only; it is type-checked against @types/k6 by ./tsconfig.json.
import { check, group, sleep } from "k6";
import http from "k6/http";
import type { Params, RefinedResponse, ResponseType } from "k6/http";
import type { Options } from "k6/options";

// --- Settings --------------------------------------------------------------------------------

function setting(name: string): string {
  const value = (__ENV[name] ?? "").trim();
  if (value === "") throw new Error(`${name} is not set (the traffic CronJob passes it from the environment's settings)`);
  return value;
}

function frontendUrlSetting(name: string): string {
  const value = setting(name);
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) throw new Error(`${name} must be an http(s) URL such as http://frontend.microservices-demo.svc.cluster.local:80, got "${value}"`);
  return value.replace(/\/+$/, "");
}

function wholeNumberSetting(name: string, minimum: number): number {
  const text = setting(name);
  if (!/^\d+$/.test(text) || Number(text) < minimum) throw new Error(`${name} must be a whole number of at least ${minimum}, got "${text}"`);
  return Number(text);
}

/** A positive decimal, kept as written: it goes into a threshold expression as text. */
function positiveNumberSetting(name: string, maximum: number): string {
  const text = setting(name);
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > maximum) throw new Error(`${name} must be a number above 0 and at most ${maximum}, got "${text}"`);
  return text;
}

function durationSetting(name: string): string {
  const text = setting(name);
  // Whole numbers with ms, s, m or h, as k6 reads them; at least one of them not zero.
  if (!/^(\d+(ms|s|m|h))+$/.test(text) || !/[1-9]/.test(text)) throw new Error(`${name} must be a k6 duration such as 5m, 90s or 1h30m, got "${text}"`);
  return text;
}

const frontend = frontendUrlSetting("FRONTEND_URL");
// How long setup() waits for the frontend (settings: core/settings/topology.ts trafficSetupSeconds).
const readinessSeconds = wholeNumberSetting("TRAFFIC_SETUP_TIMEOUT_SECONDS", 10);

export const options: Options = {
  vus: wholeNumberSetting("TRAFFIC_VUS", 1),
  duration: durationSetting("TRAFFIC_DURATION"),
  thresholds: {
    http_req_failed: [`rate<${positiveNumberSetting("TRAFFIC_MAX_FAILED_RATE", 1)}`],
    http_req_duration: [`p(95)<${positiveNumberSetting("TRAFFIC_P95_MS", Number.MAX_SAFE_INTEGER)}`],
  },
  // setup() waits up to readinessSeconds, plus one last request and pause; k6's default is 60 s.
  setupTimeout: `${readinessSeconds + 30}s`,
  // A virtual user is one shopper for the whole run, as a user of the upstream load generator is:
  // its session (and with it its cart and currency) lasts across iterations. k6 would otherwise
  // drop the cookies after every iteration.
  noCookiesReset: true,
};

// --- Waiting for the shop --------------------------------------------------------------------

const readinessPauseSeconds = 3;
// While waiting, any answer (or none: status 0) is expected, so the wait does not count against
// the failed-requests threshold; only the journeys do.
const anyAnswer = http.expectedStatuses({ min: 0, max: 599 });

/** Waits for the frontend's home page: the first run starts right after Argo CD's first sync, when the shop may still be starting. */
export function setup(): void {
  const giveUpAt = Date.now() + readinessSeconds * 1000;
  let last = "";
  for (;;) {
    const response = http.get(`${frontend}/`, { timeout: "2s", responseCallback: anyAnswer });
    if (response.status === 200) return;
    last = response.status === 0 ? `no answer (${response.error})` : `status ${response.status}`;
    if (Date.now() >= giveUpAt) break;
    sleep(readinessPauseSeconds);
  }
  throw new Error(`The frontend at ${frontend} did not answer GET / with 200 within ${readinessSeconds} s; last answer: ${last}`);
}

// --- The shop ----------------------------------------------------------------------------------

const products = ["0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ", "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z"] as const;
const currencies = ["EUR", "USD", "JPY", "CAD", "GBP", "TRY"] as const;
const addresses = [
  { street_address: "1600 Amphitheatre Parkway", zip_code: "94043", city: "Mountain View", state: "CA", country: "United States" },
  { street_address: "111 8th Avenue", zip_code: "10011", city: "New York", state: "NY", country: "United States" },
  { street_address: "12 Rue de Rivoli", zip_code: "75004", city: "Paris", state: "IDF", country: "France" },
  { street_address: "Unter den Linden 1", zip_code: "10117", city: "Berlin", state: "BE", country: "Germany" },
] as const;

type JourneyName = "index" | "setCurrency" | "browseProduct" | "addToCart" | "viewCart" | "checkout";
type Page = RefinedResponse<ResponseType | undefined>;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function digits(count: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += String(randomInt(0, 9));
  return text;
}

/** The digit that makes `payload` followed by it pass the Luhn check. */
function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // Every second digit counting from the check digit (which is not in the payload yet) is doubled.
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** A made-up Visa number (the payment service takes Visa and MasterCard only) that passes the Luhn check. */
function cardNumber(): string {
  const payload = `4${digits(14)}`;
  return `${payload}${luhnCheckDigit(payload)}`;
}

function bodyOf(page: Page): string {
  return typeof page.body === "string" ? page.body : "";
}

/** Request tags: the journey on every request, and a fixed name where the URL carries an id (one metric series, not one per product). */
function tagged(journey: JourneyName, name?: string): Params {
  return { tags: name === undefined ? { journey } : { journey, name } };
}

/** A shopper reads a page before the next click: between 1 and 10 s, as upstream. */
function think(): void {
  sleep(1 + Math.random() * 9);
}

// --- Pages -----------------------------------------------------------------------------------
// Each step checks the status and a marker the real frontend's page carries (its templates in
// src/frontend/templates); the fake frontend of test/traffic-script.test.ts answers with the
// same markers.

function home(journey: JourneyName): void {
  const page = http.get(`${frontend}/`, tagged(journey));
  check(page, {
    "home: status 200": (p) => p.status === 200,
    // home.html: every product is a "hot-product-card".
    "home: shows the products": (p) => bodyOf(p).includes("hot-product-card"),
  }, { journey });
  think();
}

function chooseCurrency(journey: JourneyName, currency: string): void {
  // The frontend answers 302 back to the home page, which k6 follows.
  const page = http.post(`${frontend}/setCurrency`, { currency_code: currency }, tagged(journey));
  check(page, {
    "set currency: status 200": (p) => p.status === 200,
    // header.html marks the shopper's currency (from the currency cookie) as selected.
    "set currency: home page in the chosen currency": (p) => bodyOf(p).includes(`value="${currency}" selected="selected"`),
  }, { journey });
  think();
}

function viewProduct(journey: JourneyName, productId: string): void {
  const page = http.get(`${frontend}/product/${productId}`, tagged(journey, "/product/{id}"));
  check(page, {
    "product: status 200": (p) => p.status === 200,
    // product.html: the add-to-cart form carries the product id.
    "product: shows the product": (p) => bodyOf(p).includes(productId),
  }, { journey });
  think();
}

function putInCart(journey: JourneyName, productId: string): void {
  // The frontend answers 302 to /cart, which k6 follows.
  const page = http.post(`${frontend}/cart`, { product_id: productId, quantity: String(randomInt(1, 10)) }, tagged(journey));
  check(page, {
    "add to cart: status 200": (p) => p.status === 200,
    // cart.html lists each item with its id ("SKU: #...").
    "add to cart: the cart lists the product": (p) => bodyOf(p).includes(productId),
  }, { journey });
  think();
}

function cart(journey: JourneyName): void {
  const page = http.get(`${frontend}/cart`, tagged(journey));
  check(page, {
    "cart: status 200": (p) => p.status === 200,
    // cart.html says how many items are "in your cart", or that it is empty.
    "cart: shows the cart": (p) => bodyOf(p).includes("in your cart") || bodyOf(p).includes("Your shopping cart is empty!"),
  }, { journey });
  think();
}

function placeOrder(journey: JourneyName): void {
  const nextYear = new Date().getFullYear() + 1;
  const order = {
    email: `shopper${randomInt(1, 99999)}@example.com`,
    ...pick(addresses),
    credit_card_number: cardNumber(),
    credit_card_expiration_month: String(randomInt(1, 12)),
    // From next year on, so the card has not expired whatever the month.
    credit_card_expiration_year: String(randomInt(nextYear, nextYear + 4)),
    credit_card_cvv: String(randomInt(100, 999)),
  };
  const page = http.post(`${frontend}/cart/checkout`, order, tagged(journey));
  check(page, {
    "checkout: status 200": (p) => p.status === 200,
    // order.html
    "checkout: order complete": (p) => bodyOf(p).includes("Your order is complete!"),
  }, { journey });
  think();
}

// --- Journeys ----------------------------------------------------------------------------------

interface Journey {
  name: JourneyName;
  weight: number;
  run: () => void;
}

function addToCart(journey: JourneyName): void {
  const productId = pick(products);
  viewProduct(journey, productId);
  putInCart(journey, productId);
}

const journeys: readonly Journey[] = [
  { name: "index", weight: 1, run: () => home("index") },
  { name: "setCurrency", weight: 2, run: () => chooseCurrency("setCurrency", pick(currencies)) },
  { name: "browseProduct", weight: 10, run: () => viewProduct("browseProduct", pick(products)) },
  { name: "addToCart", weight: 2, run: () => addToCart("addToCart") },
  { name: "viewCart", weight: 3, run: () => cart("viewCart") },
  {
    name: "checkout",
    weight: 1,
    run: () => {
      addToCart("checkout");
      placeOrder("checkout");
    },
  },
];
const totalWeight = journeys.reduce((sum, journey) => sum + journey.weight, 0);

function pickJourney(): Journey {
  let roll = Math.random() * totalWeight;
  for (const journey of journeys) {
    roll -= journey.weight;
    if (roll < 0) return journey;
  }
  return journeys[journeys.length - 1] as Journey;
}

// Module state is per virtual user in k6.
let sessionStarted = false;

/** One journey of one shopper. */
export default function (): void {
  // A new shopper lands on the home page first, as upstream's users do (on_start): that visit
  // gives it the session cookie its currency, cart and orders then belong to.
  if (!sessionStarted) {
    group("index", () => home("index"));
    sessionStarted = true;
  }
  const journey = pickJourney();
  group(journey.name, journey.run);
}
