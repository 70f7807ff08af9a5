// The dashboard's script: live readings over Server-Sent Events (/events),
// and a button that POSTs to /led to toggle the simulated LED.
"use strict";

const $ = (id) => document.getElementById(id);
let count = 0;

function showLED(on, lit) {
  const led = $("led");
  led.className = "led " + (on ? "on" : "off") + (on && !lit ? " dim" : "");
  $("led-state").textContent = on ? "on" : "off";
}

function connect() {
  const es = new EventSource("/events");
  es.addEventListener("open", () => { $("stream").textContent = "connected"; });
  es.addEventListener("error", () => { $("stream").textContent = "reconnecting"; });
  es.addEventListener("reading", (ev) => {
    const r = JSON.parse(ev.data);
    count++;
    $("count").textContent = String(count);
    $("temp").textContent = r.temp.toFixed(2);
    $("ticks").textContent = String(r.ticks);
    $("late").textContent = String(r.late_p99_us);
    $("conns").textContent = String(r.conns);
    $("toggles").textContent = String(r.toggles);
    $("blink-hz").textContent = String(r.hz);
    showLED(r.led, r.lit);
  });
}

$("toggle").addEventListener("click", async () => {
  const button = $("toggle");
  button.disabled = true;
  try {
    const resp = await fetch("/led", { method: "POST" });
    const r = await resp.json();
    showLED(r.led, r.led);
    $("toggles").textContent = String(r.toggles);
  } finally {
    button.disabled = false;
  }
});

connect();
