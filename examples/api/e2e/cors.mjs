// cors.mjs calls examples/api from pages of two other origins in a real
// browser, Debian's Chromium, headless, through playwright-core (which
// downloads no browser of its own). The API allows the first origin
// (-cors-origin) and not the second; both pages are served on other ports
// of 127.0.0.1, so each is cross-origin to the API.
//
//	node cors.mjs API_URL ALLOWED_PAGE_URL BLOCKED_PAGE_URL TOKEN
//
// From the allowed page: a PUT with a JSON body, a Bearer token and a
// custom X-Request-Id field (so the browser must send a preflight first)
// succeeds, the page reads the answer and the exposed X-Request-Id, a GET
// reads the new configuration back, and a wrong token's 401 is readable
// JSON. From the blocked page: the same PUT and a plain GET both reject
// with a TypeError, and the configuration is unchanged. Whether the
// preflights happened is checked on the server's side, in its log, by
// scripts/cors-test.sh.
//
// CHROMIUM names the browser binary (default /usr/bin/chromium). It prints
// one line starting "cors e2e: PASS" and exits 0, or says what failed and
// exits 1.
import { chromium } from "playwright-core";

const [api, allowedPage, blockedPage, token] = process.argv.slice(2);
if (!token) {
  console.error("usage: node cors.mjs API_URL ALLOWED_PAGE_URL BLOCKED_PAGE_URL TOKEN");
  process.exit(2);
}

const fail = (msg) => {
  console.error("cors e2e: FAIL " + msg);
  process.exit(1);
};

// A bound on the whole run, so that a hang fails instead of waiting forever.
const timer = setTimeout(() => fail("still running after 90 s"), 90_000);

// call runs fetch in the page and returns what the page could see: the
// status, the body and the X-Request-Id field, or the error's name and
// message if fetch rejected.
const call = (page, url, init) =>
  page.evaluate(async ([url, init]) => {
    try {
      const r = await fetch(url, init);
      return { status: r.status, body: await r.text(), requestId: r.headers.get("X-Request-Id") };
    } catch (e) {
      return { error: e.name, message: e.message };
    }
  }, [url, init]);

const put = (body, auth, id) => ({
  method: "PUT",
  headers: { "Content-Type": "application/json", Authorization: "Bearer " + auth, "X-Request-Id": id },
  body: JSON.stringify(body),
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Without the background-networking flags Chromium keeps trying hosts
  // that a closed network refuses.
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const config = { name: "from-the-browser", interval_ms: 250, led: true, units: "F" };

  // The allowed origin.
  const ok = await browser.newPage();
  await ok.goto(allowedPage);
  if ((await ok.title()) !== "biplane CORS test page") fail("allowed page's title is " + JSON.stringify(await ok.title()));
  if (new URL(ok.url()).origin === new URL(api).origin) fail("the page and the API share an origin");

  const res = await call(ok, api + "/config", put(config, token, "e2e-put-1"));
  if (res.error) fail(`PUT from the allowed origin rejected: ${res.error}: ${res.message}`);
  if (res.status !== 200) fail(`PUT from the allowed origin: ${res.status} ${res.body}`);
  if (JSON.stringify(JSON.parse(res.body)) !== JSON.stringify(config)) fail("PUT answered " + res.body);
  if (res.requestId !== "e2e-put-1") fail("the exposed X-Request-Id reads " + JSON.stringify(res.requestId));

  const back = await call(ok, api + "/config", {});
  if (back.error || back.status !== 200 || JSON.stringify(JSON.parse(back.body)) !== JSON.stringify(config)) {
    fail("GET after PUT: " + JSON.stringify(back));
  }

  // An error is readable too: the 401 carries the CORS fields.
  const denied = await call(ok, api + "/config", put(config, "wrong-token", "e2e-put-2"));
  if (denied.error || denied.status !== 401 || JSON.parse(denied.body).status !== 401) {
    fail("PUT with a wrong token: " + JSON.stringify(denied));
  }

  // Another origin: the browser keeps the answers from the page.
  const other = await browser.newPage();
  await other.goto(blockedPage);
  const evil = { name: "from-another-origin", interval_ms: 100, led: false, units: "C" };
  const blockedPut = await call(other, api + "/config", put(evil, token, "e2e-put-3"));
  if (blockedPut.error !== "TypeError") fail("PUT from the other origin was not blocked: " + JSON.stringify(blockedPut));
  const blockedGet = await call(other, api + "/config", {});
  if (blockedGet.error !== "TypeError") fail("GET from the other origin was not blocked: " + JSON.stringify(blockedGet));

  // The blocked PUT never reached the handler: the configuration is the
  // allowed page's.
  const still = await call(ok, api + "/config", {});
  if (still.error || JSON.parse(still.body).name !== config.name) fail("after the blocked PUT: " + JSON.stringify(still));

  console.log(`cors e2e: PASS allowed PUT ${res.status} (X-Request-Id ${res.requestId}), GET ${back.status}, ` +
    `wrong token ${denied.status}; other origin PUT ${blockedPut.error}, GET ${blockedGet.error}`);
} finally {
  clearTimeout(timer);
  await browser.close();
}
