// A fake Online Boutique frontend for the traffic script's tests: the routes the script uses,
// insisting on what the real frontend's handlers (and the services behind them) need, and
// answering with the page markers the script checks for, taken from the real frontend's templates.
// Every 4xx it answers is logged in `rejections`, so a test can show the script sent nothing wrong.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const productIds = ["0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ", "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z"] as const;
export const currencyCodes = ["EUR", "USD", "JPY", "CAD", "GBP", "TRY"] as const;

const sessionCookie = "shop_session-id";
const currencyCookie = "shop_currency";
const checkoutFields = ["email", "street_address", "zip_code", "city", "state", "country", "credit_card_number", "credit_card_expiration_month", "credit_card_expiration_year", "credit_card_cvv"] as const;

export interface Rejection {
  method: string;
  path: string;
  status: number;
  reason: string;
}

/** Luhn check, written apart from the script's check-digit code so each checks the other. */
export function passesLuhn(number: string): boolean {
  const digits = [...number].reverse().map(Number);
  const sum = digits.reduce((total, digit, index) => total + (index % 2 === 1 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][digit]! : digit), 0);
  return sum % 10 === 0;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0) cookies.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  return cookies;
}

/** A page; `currency` given, its header has the currency picker (the real error page's has none). */
function page(currency: string | undefined, main: string): string {
  // header.html: the currency picker marks the shopper's currency as selected.
  const options = currencyCodes.map((code) => `<option value="${code}" ${code === currency ? 'selected="selected"' : ""}>${code}</option>`).join("\n");
  const picker = currency === undefined ? "" : `<form method="POST" action="/setCurrency" id="currency_form"><select name="currency_code">\n${options}\n</select></form>`;
  return `<!DOCTYPE html>
<html lang="en"><head><title>Online Boutique</title></head>
<body>
<header>${picker}<a href="/cart" class="cart-link">Cart</a></header>
${main}
</body></html>
`;
}

function recommendations(exclude: readonly string[]): string {
  const others = productIds.filter((id) => !exclude.includes(id)).slice(0, 3);
  return `<section class="recommendations">${others.map((id) => `<a href="/product/${id}">${id}</a>`).join("")}</section>`;
}

export class FakeFrontend {
  readonly rejections: Rejection[] = [];
  /** Sessions the fake handed out, with their carts (product id → quantity). */
  readonly carts = new Map<string, Map<string, number>>();
  ordersPlaced = 0;
  /** Answer 500 to everything (as if a backend service were down). */
  failing = false;
  private unavailable = 0;
  private server: Server | undefined;
  url = "";

  /** Answers the next `count` requests with 503, as a frontend that is still starting. */
  unavailableFor(count: number): void {
    this.unavailable = count;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.rejections.length = 0;
    this.carts.clear();
    this.ordersPlaced = 0;
    this.failing = false;
    this.unavailable = 0;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    const method = request.method ?? "GET";
    const path = new URL(request.url ?? "/", "http://frontend").pathname;
    try {
      if (this.unavailable > 0) {
        this.unavailable -= 1;
        return void response.writeHead(503, { "Content-Type": "text/plain" }).end("starting\n");
      }
      if (this.failing) return void response.writeHead(500, { "Content-Type": "text/html" }).end(page(undefined, "<h3>Uh, oh!</h3><p>Something has failed.</p>"));
      this.route(method, path, request, body, response);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.rejections.push({ method, path, status: error.status, reason: error.message });
      response.writeHead(error.status, { "Content-Type": "text/html" }).end(page(undefined, `<h3>Uh, oh!</h3><pre>${error.message}</pre>`));
    }
  }

  private route(method: string, path: string, request: IncomingMessage, body: string, response: ServerResponse): void {
    const cookies = parseCookies(request.headers.cookie);
    const currency = cookies.get(currencyCookie) ?? "USD";
    let session = cookies.get(sessionCookie);
    // The real frontend gives any request without a session cookie a new session. The fake does
    // that only on the pages a shopper lands on (home, product); a POST or the cart without the
    // cookie is refused, so a script that loses its cookies is caught.
    const needsSession = method === "POST" || path === "/cart";
    if (session === undefined || !this.carts.has(session)) {
      if (needsSession) throw new Refusal(400, `${method} ${path} without a ${sessionCookie} cookie the shop issued`);
      session = randomUUID();
      this.carts.set(session, new Map());
      response.setHeader("Set-Cookie", `${sessionCookie}=${session}; Max-Age=172800`);
    }
    const cart = this.carts.get(session)!;
    const form = method === "POST" ? this.form(request, body) : new URLSearchParams();
    const html = (main: string) => response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page(currency, main));

    if (method === "GET" && path === "/") {
      // home.html: each product is a "hot-product-card".
      return void html(productIds.map((id) => `<div class="col-md-4 hot-product-card"><a href="/product/${id}">${id}</a></div>`).join("\n"));
    }
    const product = /^\/product\/([^/]+)$/.exec(path);
    if (method === "GET" && product) {
      const id = decodeURIComponent(product[1]!);
      if (!(productIds as readonly string[]).includes(id)) throw new Refusal(404, `no product ${id}`);
      // product.html: the add-to-cart form carries the product id.
      return void html(`<form method="POST" action="/cart"><input type="hidden" name="product_id" value="${id}" /></form>${recommendations([id])}`);
    }
    if (method === "POST" && path === "/setCurrency") {
      const code = form.get("currency_code") ?? "";
      if (!(currencyCodes as readonly string[]).includes(code)) throw new Refusal(400, `currency_code "${code}" is not a currency the shop sells in`);
      response.appendHeader("Set-Cookie", `${currencyCookie}=${code}; Max-Age=172800`);
      return void response.writeHead(302, { Location: request.headers.referer ?? "/" }).end();
    }
    if (method === "POST" && path === "/cart") {
      const id = form.get("product_id") ?? "";
      const quantity = form.get("quantity") ?? "";
      if (!(productIds as readonly string[]).includes(id)) throw new Refusal(404, `no product "${id}"`);
      if (!/^\d+$/.test(quantity) || Number(quantity) < 1 || Number(quantity) > 10) throw new Refusal(400, `quantity "${quantity}" is not a whole number from 1 to 10`);
      cart.set(id, (cart.get(id) ?? 0) + Number(quantity));
      return void response.writeHead(302, { Location: "/cart" }).end();
    }
    if (method === "GET" && path === "/cart") {
      // cart.html: "<n> items in your cart" and each item's "SKU: #<id>", or that it is empty.
      if (cart.size === 0) return void html(`<h3>Your shopping cart is empty!</h3>${recommendations([])}`);
      const items = [...cart].map(([id, quantity]) => `<div class="product-item"><small>SKU: #${id}</small> Quantity: ${quantity}</div>`).join("\n");
      const size = [...cart.values()].reduce((sum, quantity) => sum + quantity, 0);
      return void html(`<h3>${size} item${size > 1 ? "s" : ""} in your cart</h3>\n${items}${recommendations([...cart.keys()])}`);
    }
    if (method === "POST" && path === "/cart/checkout") {
      this.checkOrder(form);
      if (cart.size === 0) throw new Refusal(400, "checkout with an empty cart");
      cart.clear();
      this.ordersPlaced += 1;
      // order.html
      return void html(`<h3>Your order is complete!</h3><p>We've sent you a confirmation email.</p><p>Confirmation # ${randomUUID()}</p>`);
    }
    throw new Refusal(404, `no route ${method} ${path}`);
  }

  private form(request: IncomingMessage, body: string): URLSearchParams {
    // Go's FormValue reads an url-encoded body only when it is declared as one.
    if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) throw new Refusal(400, `form not sent as application/x-www-form-urlencoded (Content-Type: ${request.headers["content-type"] ?? "none"})`);
    return new URLSearchParams(body);
  }

  /** What the checkout and payment services require of an order. */
  private checkOrder(form: URLSearchParams): void {
    for (const field of checkoutFields) if ((form.get(field) ?? "").trim() === "") throw new Refusal(400, `checkout without ${field}`);
    const field = (name: (typeof checkoutFields)[number]) => form.get(name)!;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(field("email"))) throw new Refusal(400, `email "${field("email")}" is not an address`);
    if (!/^\d+$/.test(field("zip_code"))) throw new Refusal(400, `zip_code "${field("zip_code")}" is not a number`);
    const card = field("credit_card_number");
    if (!/^\d{13,19}$/.test(card) || !passesLuhn(card)) throw new Refusal(400, `credit_card_number "${card}" fails the Luhn check`);
    // The payment service takes Visa and MasterCard only.
    if (!/^(4|5[1-5])/.test(card)) throw new Refusal(400, `credit_card_number "${card}" is neither Visa nor MasterCard`);
    const month = field("credit_card_expiration_month");
    const year = field("credit_card_expiration_year");
    if (!/^\d+$/.test(month) || Number(month) < 1 || Number(month) > 12) throw new Refusal(400, `credit_card_expiration_month "${month}" is not 1 to 12`);
    const now = new Date();
    if (!/^\d{4}$/.test(year) || Number(year) * 12 + Number(month) < now.getFullYear() * 12 + now.getMonth() + 1) throw new Refusal(400, `card expired ${month}/${year}`);
    if (!/^\d{3,4}$/.test(field("credit_card_cvv"))) throw new Refusal(400, `credit_card_cvv "${field("credit_card_cvv")}" is not 3 or 4 digits`);
  }
}
