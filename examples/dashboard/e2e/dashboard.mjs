// dashboard.mjs drives examples/dashboard in a real browser: Debian's
// Chromium, headless, through playwright-core (which downloads no browser of
// its own). It checks that live readings arrive over Server-Sent Events,
// that the button toggles the LED (the POST's answer and the next readings
// both show it), and saves a screenshot.
//
//	node dashboard.mjs http://127.0.0.1:PORT/ screenshot.png
//
// CHROMIUM names the browser binary (default /usr/bin/chromium). It prints
// one line starting "dashboard e2e: PASS" and exits 0, or says what failed
// and exits 1.
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
if (!url) {
  console.error("usage: node dashboard.mjs URL [screenshot.png]");
  process.exit(2);
}

const fail = (msg) => {
  console.error("dashboard e2e: FAIL " + msg);
  process.exit(1);
};

// A bound on the whole run, so that a hang fails instead of waiting forever.
const timer = setTimeout(() => fail("still running after 90 s"), 90_000);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Without the background-networking flags Chromium keeps trying hosts
  // that this closed network refuses.
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 720, height: 760 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(url);
  if ((await page.title()) !== "biplane dashboard") fail("title is " + JSON.stringify(await page.title()));

  const count = async () => Number(await page.textContent("#count"));
  const ledState = async () => (await page.textContent("#led-state")).trim();

  // Readings arrive: the stream opens and the count climbs.
  await page.waitForFunction(() => document.getElementById("stream").textContent === "connected");
  await page.waitForFunction(() => Number(document.getElementById("count").textContent) >= 3);
  const temp = Number(await page.textContent("#temp"));
  if (!Number.isFinite(temp)) fail("temperature is not a number: " + (await page.textContent("#temp")));

  // Toggle twice: each time the page shows the new state at once (from
  // the POST's answer) and still after later readings (from the loop).
  const states = [await ledState()];
  for (let i = 0; i < 2; i++) {
    const before = states[states.length - 1];
    const want = before === "on" ? "off" : "on";
    await page.click("#toggle");
    await page.waitForFunction((w) => document.getElementById("led-state").textContent === w, want);
    const seen = await count();
    await page.waitForFunction((n) => Number(document.getElementById("count").textContent) >= n + 3, seen);
    const after = await ledState();
    if (after !== want) fail(`after toggle ${i + 1} and 3 readings the LED shows ${after}, want ${want}`);
    states.push(after);
  }
  if (pageErrors.length) fail("errors in the page: " + pageErrors.join("; "));
  if (shot) await page.screenshot({ path: shot });
  console.log(`dashboard e2e: PASS readings=${await count()} led=${states.join("->")} toggles=${await page.textContent("#toggles")}`);
} finally {
  clearTimeout(timer);
  await browser.close();
}
