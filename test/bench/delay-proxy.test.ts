/**
 * The network bench's delaying relay (bench/delay-proxy.ts) against small local TCP servers: bytes
 * intact and in order both ways, round trips and connections counted exactly, half-closes and errors
 * relayed, nothing left open. No wall-clock assertions (speed is the bench's business).
 */
import { randomBytes } from "crypto";
import * as net from "net";
import { afterEach, describe, expect, it } from "vitest";
import { parseStartup, startDelayProxy, type DelayProxy } from "../../bench/delay-proxy";

const DELAY = 5;

/** A server on a free port; `handle` gets each connection. Closed after each test. */
const servers: net.Server[] = [];
const proxies: DelayProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handle: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    // A reset from the relay (an abort, close()) is expected in some tests.
    socket.on("error", () => undefined);
    handle(socket);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

async function relay(port: number): Promise<DelayProxy> {
  const proxy = await startDelayProxy({ target: { host: "127.0.0.1", port }, delayMs: DELAY });
  proxies.push(proxy);
  return proxy;
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything a socket receives until the other side ends. */
function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
  });
}

/** Reads exactly `n` bytes (then stops listening). */
function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        socket.off("data", onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on("data", onData);
  });
}

const closed = (socket: net.Socket) => new Promise<void>((r) => (socket.destroyed ? r() : socket.once("close", () => r())));

/** An echo server that ends its side once the client has ended its own. */
const echo = (s: net.Socket) => {
  s.on("data", (c: Buffer) => s.write(c));
  s.on("end", () => s.end());
};

describe("delay proxy", () => {
  it("relays large payloads intact and in order both ways, counting the bytes", async () => {
    const proxy = await relay(await serve(echo));
    const socket = await dial(proxy.port);
    const payload = randomBytes(4 * 1024 * 1024);
    const received = readAll(socket);
    // Many writes: many chunks in flight at once in each direction.
    for (let i = 0; i < payload.length; i += 100_000) socket.write(payload.subarray(i, i + 100_000));
    socket.end();
    const back = await received;
    expect(back.length).toBe(payload.length);
    expect(back.equals(payload)).toBe(true);
    await closed(socket);
    expect(proxy.stats()).toMatchObject({ connections: 1, bytesUp: payload.length, bytesDown: payload.length });
  });

  it("counts N request/response exchanges as exactly N round trips, multi-chunk answers once each", async () => {
    const big = randomBytes(1024 * 1024);
    // One byte in, an answer out: small for "s", a megabyte (many chunks) for "b".
    const port = await serve((s) => {
      s.on("data", (c: Buffer) => {
        for (const byte of c) s.write(byte === 0x62 ? big : Buffer.from("pong"));
      });
      s.on("end", () => s.end());
    });
    const proxy = await relay(port);
    const socket = await dial(proxy.port);
    const requests = "ssbsbbsss";
    for (const r of requests) {
      const answer = readBytes(socket, r === "b" ? big.length : 4);
      socket.write(r);
      const got = await answer;
      expect(r === "b" ? got.equals(big) : got.toString()).toBe(r === "b" ? true : "pong");
    }
    socket.end();
    await proxy.idle();
    expect(proxy.stats()).toEqual({ connections: 1, roundTrips: requests.length, bytesUp: requests.length, bytesDown: 6 * 4 + 3 * big.length });
    expect(proxy.connections()).toEqual([expect.objectContaining({ id: 1, roundTrips: requests.length, open: false })]);
  });

  it("counts connections, and reset() zeroes the counters while open connections go on counting", async () => {
    const proxy = await relay(await serve(echo));
    const ping = async (socket: net.Socket) => {
      const answer = readBytes(socket, 4);
      socket.write("ping");
      await answer;
    };
    const a = await dial(proxy.port);
    await ping(a);
    const b = await dial(proxy.port);
    await ping(b);
    await ping(b);
    const c = await dial(proxy.port);
    await ping(c);
    expect(proxy.stats()).toEqual({ connections: 3, roundTrips: 4, bytesUp: 16, bytesDown: 16 });
    expect(proxy.connections().map((s) => s.roundTrips)).toEqual([1, 2, 1]);

    proxy.reset();
    expect(proxy.stats()).toEqual({ connections: 0, roundTrips: 0, bytesUp: 0, bytesDown: 0 });
    await ping(b);
    expect(proxy.stats()).toEqual({ connections: 0, roundTrips: 1, bytesUp: 4, bytesDown: 4 });
    expect(proxy.connections().map((s) => [s.id, s.roundTrips])).toEqual([
      [1, 0],
      [2, 1],
      [3, 0],
    ]);
    for (const s of [a, b, c]) s.end();
    await Promise.all([a, b, c].map(closed));
  });

  it("relays a half-close: the client ends, the server still answers, then ends", async () => {
    const port = await serve((s) => {
      const got = readAll(s);
      got.then((all) => s.end(`got ${all.length} bytes`));
    });
    const proxy = await relay(port);
    const socket = await dial(proxy.port);
    const answer = readAll(socket);
    socket.end("hello world");
    expect((await answer).toString()).toBe("got 11 bytes");
    await closed(socket);
    expect(proxy.stats().roundTrips).toBe(1);
  });

  it("relays the server's end when it closes first, after its last bytes", async () => {
    const port = await serve((s) => {
      s.end("bye");
      s.on("data", () => undefined);
    });
    const proxy = await relay(port);
    const socket = await dial(proxy.port);
    const answer = readAll(socket);
    expect((await answer).toString()).toBe("bye");
    socket.end();
    await closed(socket);
    // Server bytes with no client bytes before them: no round trip.
    expect(proxy.stats()).toMatchObject({ connections: 1, roundTrips: 0, bytesDown: 3 });
  });

  it("closes the client's connection when the target refuses, and when the server resets", async () => {
    const free = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const refused = await relay(free);
    const s1 = await dial(refused.port);
    s1.on("error", () => undefined);
    await closed(s1);

    const resetting = await relay(await serve((s) => s.on("data", () => s.resetAndDestroy())));
    const s2 = await dial(resetting.port);
    s2.on("error", () => undefined);
    s2.write("x");
    await closed(s2);
    expect(resetting.connections()).toEqual([expect.objectContaining({ open: false })]);
  });

  it("close() destroys open connections and leaves no socket or server behind", async () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).sort();
    const port = await serve(echo);
    // Handles closed by the previous test's afterEach leave libuv on a later turn of the loop.
    await new Promise((r) => setTimeout(r, 50));
    const before = handles();
    const proxy = await startDelayProxy({ target: { host: "127.0.0.1", port }, delayMs: 1000 });
    const sockets = await Promise.all([dial(proxy.port), dial(proxy.port)]);
    while (proxy.stats().connections < 2) await new Promise((r) => setTimeout(r, 5));
    // A chunk in flight (held for a second) when the relay closes.
    for (const s of sockets) {
      s.on("error", () => undefined);
      s.write("in flight");
    }
    await new Promise((r) => setImmediate(r));
    await proxy.close();
    await Promise.all(sockets.map(closed));
    expect(proxy.connections().map((c) => c.open)).toEqual([false, false]);
    // Server-side sockets of the echo server close once the relay's are gone.
    for (let i = 0; i < 100 && handles().join() !== before.join(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(handles()).toEqual(before);
  });
});

describe("parseStartup", () => {
  /** A protocol 3.0 startup message with these parameters. */
  const startup = (params: Record<string, string>) => {
    const body = Buffer.from(Object.entries(params).map(([k, v]) => `${k}\0${v}\0`).join("") + "\0");
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + body.length, 0);
    head.writeInt32BE(3 << 16, 4);
    return Buffer.concat([head, body]);
  };
  const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

  it("reads database and user, after an SSLRequest too, and waits for a whole message", () => {
    const msg = startup({ user: "postgres", database: "chat-sessions", client_encoding: "UTF8" });
    expect(parseStartup(msg)).toEqual({ database: "chat-sessions", user: "postgres" });
    expect(parseStartup(Buffer.concat([sslRequest, msg]))).toEqual({ database: "chat-sessions", user: "postgres" });
    expect(parseStartup(msg.subarray(0, 12))).toBeUndefined();
    expect(parseStartup(sslRequest)).toBeUndefined();
    // No database parameter: Postgres uses the user name.
    expect(parseStartup(startup({ user: "alice" }))).toEqual({ database: "alice", user: "alice" });
  });

  it("gives up on a stream that is not a Postgres startup", () => {
    expect(parseStartup(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toBeNull();
    // TLS after an accepted SSLRequest: a ClientHello.
    expect(parseStartup(Buffer.concat([sslRequest, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])]))).toBeNull();
  });
});
