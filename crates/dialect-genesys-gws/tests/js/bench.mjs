// Load for bench/genesys_gws.sh.
//
//   node bench.mjs latency BASE LOGIN PASSWORD COUNT FROM TO
//     With the official CometD client (one session, subscribed to /v2/ucs/interactions):
//     COUNT times, POST RetrieveInteractionHistory (maxSize 100, FROM..TO) and time from
//     the POST to the arrival of its notification. Checks each notification holds 100
//     interactions. Prints {"event":"latency","count":…,"median_ms":…,"p90_ms":…,"max_ms":…}.
//
//   node bench.mjs conns BASE - - COUNT
//     COUNT plain keep-alive connections that each asked for /healthz once; prints
//     {"event":"ready",…} when all were answered and holds them until killed.
//
//   node bench.mjs idle BASE LOGIN PASSWORD CLIENTS
//     Opens the sessions CLIENTS CometD clients need (16 per session) and prints
//     {"event":"sessions","sessions":…}; after a line on stdin (a base URL there moves the
//     clients to another Interlog instance on the same store), starts the clients, each
//     handshaken, subscribed and holding a long poll, speaking Bayeux over plain HTTP (one
//     socket each), and prints {"event":"ready","clients":…,"sessions":…} once every
//     client holds a connect; keeps them polling until stdin closes. (Logging in runs
//     argon2, whose memory is not the clients', hence the pause between the two.)

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";
import * as http from "node:http";
import * as net from "node:net";
import * as readline from "node:readline";

const [mode, base, login, password, ...rest] = process.argv.slice(2);
// Where the CometD clients of `idle` go (the sessions can move to another instance).
let target = base;

function emit(event) {
    process.stdout.write(JSON.stringify(event) + "\n");
}

function fail(message) {
    emit({ event: "error", message: String(message) });
    process.exit(1);
}

async function openSession() {
    const basic = "Basic " + Buffer.from(`${login}:${password}`).toString("base64");
    const me = await fetch(`${base}/api/v2/me`, { headers: { Authorization: basic } });
    if (me.status !== 200) {
        fail(`login answered ${me.status}: ${await me.text()}`);
    }
    const m = /JSESSIONID=([^;]+)/.exec(me.headers.get("set-cookie") || "");
    if (!m) {
        fail("no JSESSIONID cookie");
    }
    await me.arrayBuffer();
    return { cookie: `JSESSIONID=${m[1]}`, csrf: me.headers.get("x-csrf-token") };
}

async function latency(count, from, to) {
    const s = await openSession();
    adapt();
    const cometd = new CometD();
    cometd.unregisterTransport("websocket");
    cometd.configure({ url: `${base}/api/v2/notifications`, requestHeaders: { Cookie: s.cookie }, logLevel: "warn" });
    const arrived = new Map();
    const waiting = new Map();
    await new Promise((resolve) => {
        cometd.handshake((h) => {
            if (!h.successful) fail(`handshake: ${JSON.stringify(h)}`);
            cometd.subscribe("/v2/ucs/interactions", (msg) => {
                const at = performance.now();
                const ref = msg.data.referenceId;
                const n = (msg.data.interactions || []).length;
                if (n !== 100) fail(`reference ${ref} carried ${n} interactions, not 100: ${JSON.stringify(msg.data).slice(0, 300)}`);
                const w = waiting.get(ref);
                if (w) {
                    waiting.delete(ref);
                    w(at);
                } else {
                    arrived.set(ref, at);
                }
            }, (reply) => (reply.successful ? resolve() : fail(`subscribe: ${JSON.stringify(reply)}`)));
        });
    });
    // Let the first (immediate) connect complete so a long poll is held from here on.
    await new Promise((r) => setTimeout(r, 300));
    const body = JSON.stringify({ operationName: "RetrieveInteractionHistory", fromDate: from, toDate: to, maxSize: 100 });
    const samples = [];
    for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v2/ucs/interactions`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Cookie: s.cookie, "X-CSRF-TOKEN": s.csrf },
            body,
        });
        const ack = await res.json();
        if (res.status !== 200) fail(`POST answered ${res.status}: ${JSON.stringify(ack)}`);
        const ref = ack.referenceId;
        const t1 = arrived.has(ref)
            ? arrived.get(ref)
            : await new Promise((resolve, reject) => {
                  waiting.set(ref, resolve);
                  setTimeout(() => reject(new Error(`no notification for ${ref} within 10 s`)), 10000);
              }).catch(fail);
        arrived.delete(ref);
        samples.push(t1 - t0);
    }
    samples.sort((a, b) => a - b);
    const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
    emit({ event: "latency", count, median_ms: q(0.5), p90_ms: q(0.9), max_ms: samples[samples.length - 1] });
    cometd.disconnect(() => process.exit(0));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function bayeux(cookie, messages) {
    return new Promise((resolve, reject) => {
        const body = JSON.stringify(messages);
        const req = http.request(
            `${target}/api/v2/notifications`,
            { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), Cookie: cookie } },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (c) => (text += c));
                res.on("end", () => {
                    try {
                        resolve(JSON.parse(text));
                    } catch (e) {
                        reject(new Error(`bad reply ${res.statusCode}: ${text.slice(0, 200)}`));
                    }
                });
            }
        );
        req.on("error", reject);
        req.end(body);
    });
}

async function idle(clients) {
    const perSession = 16;
    const sessions = [];
    for (let i = 0; i * perSession < clients; i++) {
        sessions.push(await openSession());
    }
    emit({ event: "sessions", sessions: sessions.length });
    const lines = readline.createInterface({ input: process.stdin });
    const next = (await new Promise((resolve) => lines.once("line", resolve))).trim();
    if (next.startsWith("http")) {
        target = next;
    }
    let holding = 0;
    let stopping = false;
    const start = async (i) => {
        const { cookie } = sessions[Math.floor(i / perSession)];
        const [h] = await bayeux(cookie, [{ channel: "/meta/handshake", version: "1.0", supportedConnectionTypes: ["long-polling"] }]);
        if (!h.successful) fail(`handshake: ${JSON.stringify(h)}`);
        const clientId = h.clientId;
        const [sub] = await bayeux(cookie, [{ channel: "/meta/subscribe", clientId, subscription: "/v2/ucs/interactions" }]);
        if (!sub.successful) fail(`subscribe: ${JSON.stringify(sub)}`);
        await bayeux(cookie, [{ channel: "/meta/connect", clientId, connectionType: "long-polling", advice: { timeout: 0 } }]);
        let first = true;
        while (!stopping) {
            const poll = bayeux(cookie, [{ channel: "/meta/connect", clientId, connectionType: "long-polling" }]);
            if (first) {
                first = false;
                // A connect is held once the server has had it a moment without answering.
                await new Promise((r) => setTimeout(r, 50));
                holding += 1;
                if (holding === clients) emit({ event: "ready", clients, sessions: sessions.length });
            }
            const replies = await poll;
            const c = replies.find((m) => m.channel === "/meta/connect");
            if (!c || !c.successful) fail(`connect: ${JSON.stringify(replies)}`);
        }
    };
    // Handshake in waves, as a real fleet of desktops would not all start at once.
    const wave = 50;
    for (let i = 0; i < clients; i += wave) {
        for (let j = i; j < Math.min(clients, i + wave); j++) {
            start(j).catch(fail);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    lines.once("close", () => {
        stopping = true;
        process.exit(0);
    });
}

// Plain keep-alive connections that asked for /healthz once: what a connection costs the
// server whatever it carries, for comparison with the CometD clients.
async function conns(n) {
    const url = new URL(base);
    let answered = 0;
    for (let i = 0; i < n; i++) {
        const s = net.connect(Number(url.port), url.hostname, () => {
            s.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        });
        s.once("data", () => {
            answered += 1;
            if (answered === n) emit({ event: "ready", connections: n });
        });
        s.on("error", fail);
    }
}

if (mode === "latency") {
    const [count, from, to] = rest;
    await latency(Number(count), from, to);
} else if (mode === "idle") {
    await idle(Number(rest[0]));
} else if (mode === "conns") {
    await conns(Number(rest[0]));
} else {
    console.error("usage: node bench.mjs latency|idle BASE LOGIN PASSWORD …");
    process.exit(2);
}
