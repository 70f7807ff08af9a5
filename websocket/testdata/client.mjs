// A WebSocket client on Node's built-in WebSocket (undici; Node 20 needs
// --experimental-websocket), run by TestNodeClient against the echo server:
//
//	node --experimental-websocket client.mjs ws://127.0.0.1:PORT/echo PROTOCOL
//
// It offers two subprotocols and checks that the server selected PROTOCOL
// and no extension, sends text and binary messages of several sizes and
// checks their echoes in order, closes cleanly with 1000, then opens a
// second connection on which the server closes (4001, "asked"). It prints
// one line, "ok: ..." or "FAIL: ...", and exits 0 or 1.

const [url, wantProtocol] = process.argv.slice(2);

function fail(msg) {
	console.log('FAIL: ' + msg);
	process.exit(1);
}

const timer = setTimeout(() => fail('timed out after 30 s'), 30000);

// Messages to echo: [kind, value]; binary ones are Uint8Arrays.
function pattern(n) {
	const b = new Uint8Array(n);
	for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
	return b;
}
const messages = [
	['text', 'hello'],
	['text', ''],
	['text', 'κόσμε 🚀 ünïcödé'],
	['binary', pattern(256)],
	['binary', new Uint8Array(0)],
	['text', 'x'.repeat(125)],
	['text', 'y'.repeat(126)],
	['binary', pattern(65535)],
	['binary', pattern(65536)],
	['text', 'z'.repeat(60000)],
];

function same(kind, want, got) {
	if (kind === 'text') return typeof got === 'string' && got === want;
	if (!(got instanceof ArrayBuffer)) return false;
	const g = new Uint8Array(got);
	if (g.length !== want.length) return false;
	for (let i = 0; i < g.length; i++) if (g[i] !== want[i]) return false;
	return true;
}

function once(ws, type) {
	return new Promise((resolve, reject) => {
		ws.addEventListener(type, resolve, { once: true });
		ws.addEventListener('error', (e) => reject(new Error('error event: ' + (e.message || e.type))), { once: true });
	});
}

async function echo() {
	const ws = new WebSocket(url, ['superchat', wantProtocol]);
	ws.binaryType = 'arraybuffer';
	const received = [];
	let waiting = null;
	ws.addEventListener('message', (ev) => {
		received.push(ev.data);
		if (waiting) waiting();
	});
	await once(ws, 'open');
	if (ws.protocol !== wantProtocol) fail(`protocol "${ws.protocol}", want "${wantProtocol}"`);
	if (ws.extensions !== '') fail(`extensions "${ws.extensions}", want none`);
	for (const [, value] of messages) ws.send(value);
	while (received.length < messages.length) {
		await new Promise((resolve) => { waiting = resolve; });
	}
	messages.forEach(([kind, want], i) => {
		if (!same(kind, want, received[i])) fail(`echo ${i} (${kind}, ${want.length} long) differs`);
	});
	const closed = once(ws, 'close');
	ws.close(1000, 'done');
	const ev = await closed;
	if (ev.code !== 1000 || !ev.wasClean) fail(`close: code ${ev.code}, clean ${ev.wasClean}; want 1000, clean`);
}

async function serverCloses() {
	const ws = new WebSocket(url);
	await once(ws, 'open');
	const closed = once(ws, 'close');
	ws.send('!close');
	const ev = await closed;
	if (ev.code !== 4001 || ev.reason !== 'asked' || !ev.wasClean) {
		fail(`server's close: code ${ev.code} "${ev.reason}", clean ${ev.wasClean}; want 4001 "asked", clean`);
	}
}

try {
	await echo();
	await serverCloses();
} catch (e) {
	fail(e.message);
}
clearTimeout(timer);
console.log(`ok: ${messages.length} echoes, clean close, server close`);
