// A Workspace-style Genesys Web Services client, built on the official CometD JavaScript
// client (`cometd` + `cometd-nodejs-client`): it logs in with HTTP Basic on /api/v2/me
// (which opens the JSESSIONID session and gives the CSRF token), handshakes with the
// CometD endpoint, subscribes to /v2/ucs/interactions, sends history requests, and prints
// what it sees as JSON lines on stdout:
//
//   {"event":"login","csrf":true}     {"event":"subscribed"}     {"event":"ready"}
//   {"event":"ack","path":…,"status":200,"body":{"statusCode":0,"referenceId":7}}
//   {"event":"notification","channel":"/v2/ucs/interactions","data":{…}}
//   {"event":"done"}                  {"event":"error","message":…}
//
// Usage: node client.mjs BASE_URL LOGIN PASSWORD REQUESTS_JSON [--wait-stdin] [--linger MS]
//   REQUESTS_JSON: [{"path":"/api/v2/ucs/interactions","body":{"operationName":…}}, …]
//   --wait-stdin: print "ready" once subscribed and send the requests only after a line
//                 arrives on stdin (so a test can order several clients).
//   --linger MS:  after the last expected notification, keep listening this long for
//                 anything else before disconnecting (default 300).

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";
import * as readline from "node:readline";

const [base, login, password, requestsJson, ...flags] = process.argv.slice(2);
if (!base || !login || password === undefined || !requestsJson) {
    console.error("usage: node client.mjs BASE_URL LOGIN PASSWORD REQUESTS_JSON [--wait-stdin] [--linger MS]");
    process.exit(2);
}
const requests = JSON.parse(requestsJson);
const waitStdin = flags.includes("--wait-stdin");
const lingerAt = flags.indexOf("--linger");
const linger = lingerAt >= 0 ? Number(flags[lingerAt + 1]) : 300;
const deadline = setTimeout(() => fail("timed out"), 30000);

function emit(event) {
    process.stdout.write(JSON.stringify(event) + "\n");
}

function fail(message) {
    emit({ event: "error", message: String(message) });
    process.exit(1);
}

const basic = "Basic " + Buffer.from(`${login}:${password}`).toString("base64");
const me = await fetch(`${base}/api/v2/me`, { headers: { Authorization: basic } });
if (me.status !== 200) {
    fail(`login answered ${me.status}: ${await me.text()}`);
}
const setCookie = me.headers.get("set-cookie") || "";
const session = /JSESSIONID=([^;]+)/.exec(setCookie);
if (!session) {
    fail("no JSESSIONID cookie on /api/v2/me");
}
const cookie = `JSESSIONID=${session[1]}`;
const csrfHeader = me.headers.get("x-csrf-header");
const csrfToken = me.headers.get("x-csrf-token");
emit({ event: "login", csrf: Boolean(csrfHeader && csrfToken), user: (await me.json()).user });

adapt();
const cometd = new CometD();
// GWS serves long polling only.
cometd.unregisterTransport("websocket");
cometd.configure({
    url: `${base}/api/v2/notifications`,
    requestHeaders: { Cookie: cookie },
    logLevel: "warn",
});

const expected = new Set();
const seen = new Set();
let sent = false;
let finishing = false;

function maybeFinish() {
    if (!sent || finishing || [...expected].some((r) => !seen.has(r))) {
        return;
    }
    finishing = true;
    setTimeout(() => {
        cometd.disconnect(() => {
            clearTimeout(deadline);
            emit({ event: "done" });
            process.exit(0);
        });
    }, linger);
}

async function sendRequests() {
    for (const r of requests) {
        const headers = { "Content-Type": "application/json", Cookie: cookie };
        if (csrfHeader && csrfToken) {
            headers[csrfHeader] = csrfToken;
        }
        const res = await fetch(`${base}${r.path}`, {
            method: "POST",
            headers,
            body: JSON.stringify(r.body),
        });
        const body = await res.json();
        emit({ event: "ack", path: r.path, status: res.status, body });
        if (res.status === 200 && body.referenceId !== undefined) {
            expected.add(body.referenceId);
        }
    }
    sent = true;
    maybeFinish();
}

cometd.handshake((h) => {
    if (!h.successful) {
        fail(`handshake failed: ${JSON.stringify(h)}`);
        return;
    }
    cometd.subscribe(
        "/v2/ucs/interactions",
        (m) => {
            emit({ event: "notification", channel: m.channel, data: m.data });
            if (m.data && m.data.referenceId !== undefined) {
                seen.add(m.data.referenceId);
            }
            maybeFinish();
        },
        (reply) => {
            if (!reply.successful) {
                fail(`subscribe failed: ${JSON.stringify(reply)}`);
                return;
            }
            emit({ event: "subscribed" });
            if (waitStdin) {
                emit({ event: "ready" });
                const rl = readline.createInterface({ input: process.stdin });
                rl.once("line", () => {
                    rl.close();
                    sendRequests().catch(fail);
                });
            } else {
                sendRequests().catch(fail);
            }
        }
    );
});
