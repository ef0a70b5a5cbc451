/**
 * A delaying TCP relay for the network bench: a client connects to the relay, the relay connects to
 * `target`, and every chunk is delivered `delayMs` after it arrived, in each direction (a queue per
 * direction per connection: order is kept, and chunks in flight together are not stacked, so the
 * relay adds latency, not a bandwidth limit). Half-closes are relayed after the same delay.
 *
 * It counts, per connection, round trips as the client sees them: a client→server chunk followed by
 * a server→client chunk is one (connection setup, startup and authentication included). On a Postgres
 * connection it reads the startup message, so counts can be attributed to a database and a user.
 *
 * Ours rather than Toxiproxy or netem: no netem on this kernel, no network to download Toxiproxy,
 * and no new dependency; the counting is the point anyway.
 */
import * as net from "net";

export interface DelayProxyOptions {
  target: { host: string; port: number };
  /** Delay added to each chunk, each way (a round trip costs twice this). */
  delayMs: number;
}

export interface TrafficStats {
  connections: number;
  roundTrips: number;
  /** Bytes client → server. */
  bytesUp: number;
  /** Bytes server → client. */
  bytesDown: number;
}

/** One connection through the relay. */
export interface ConnectionStats extends TrafficStats {
  /** Sequence number since the relay started (1, 2, ...). */
  id: number;
  /** From the Postgres startup message, when there is one. */
  database?: string;
  user?: string;
  /** `false` once both sides are closed. */
  open: boolean;
}

export interface DelayProxy {
  /** The relay's port on 127.0.0.1. */
  readonly port: number;
  /** Totals since the start or the last `reset()`. */
  stats(): TrafficStats;
  /**
   * Per connection, since the start or the last `reset()`. A connection open across a reset is listed
   * with its counts from the reset, and `connections: 0` (it was opened before).
   */
  connections(): ConnectionStats[];
  /** Totals per Postgres database (connections without a startup message are not included). */
  byDatabase(): Map<string, TrafficStats>;
  /** Resolves once no connection is open (each side closed, the last bytes delivered). */
  idle(): Promise<void>;
  /** Zeroes the counters (connections stay open and go on being counted). */
  reset(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Ends a connection with a reset (RST), as a network failure would, rather than a FIN. */
const reset = (socket: net.Socket) => {
  if (!socket.destroyed) socket.resetAndDestroy();
};

const zero = (): TrafficStats => ({ connections: 0, roundTrips: 0, bytesUp: 0, bytesDown: 0 });

/** Postgres protocol codes a client may send before its startup message (answered with one byte). */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Reads a Postgres startup message from the start of a client stream: `database` and `user`, or
 * `undefined` when more bytes are needed, or `null` when the stream is not (readable) Postgres.
 */
export function parseStartup(buf: Buffer): { database?: string; user?: string } | undefined | null {
  let at = 0;
  for (;;) {
    if (buf.length < at + 8) return undefined;
    const length = buf.readInt32BE(at);
    const code = buf.readInt32BE(at + 4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      // The server answers one byte; on "S"/"G" the rest is encrypted, and the next read will not parse.
      at += 8;
      continue;
    }
    if (code >> 16 !== 3 || length < 8 || length > 10_000) return null;
    if (buf.length < at + length) return undefined;
    const fields = buf.subarray(at + 8, at + length - 1).toString("utf8").split("\0");
    const params: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) params[fields[i]] = fields[i + 1];
    return { database: params.database ?? params.user, user: params.user };
  }
}

/** Starts a relay on 127.0.0.1 (a free port) in front of `target`. */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const { target, delayMs } = options;
  let totals = zero();
  let perDatabase = new Map<string, TrafficStats>();
  let log: ConnectionStats[] = [];
  const live = new Set<Connection>();
  /** Callers of `idle()`. */
  const waiting: (() => void)[] = [];
  let nextId = 0;

  /** The counters an event adds to: the connection's, the totals, and its database's. */
  const bump = (c: Connection, key: keyof TrafficStats, n: number) => {
    c.stats[key] += n;
    totals[key] += n;
    const db = c.stats.database;
    if (db !== undefined) {
      let s = perDatabase.get(db);
      if (!s) perDatabase.set(db, (s = zero()));
      s[key] += n;
    }
  };

  interface Connection {
    client: net.Socket;
    server: net.Socket;
    stats: ConnectionStats;
    /** Who sent last: a server chunk after a client chunk closes a round trip. */
    lastSender?: "client" | "server";
    /** Client bytes kept until the startup message is read (then `undefined`). */
    startup?: Buffer;
    timers: Set<NodeJS.Timeout>;
  }

  /**
   * Relays `from` → `to`, each chunk (and the end of the stream) `delayMs` after it arrived. One
   * queue: a single timer for its head, so order holds whatever the timers do.
   */
  const pipe = (c: Connection, from: net.Socket, to: net.Socket, onChunk: (chunk: Buffer) => void) => {
    const queue: { due: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let draining = false;
    const flush = () => {
      if (timer) c.timers.delete(timer);
      timer = undefined;
      const now = performance.now();
      while (queue.length && queue[0].due <= now) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) return;
        if (chunk === null) to.end();
        else if (!to.write(chunk) && !draining) {
          // Backpressure: stop reading until the other side drains.
          draining = true;
          from.pause();
          to.once("drain", () => {
            draining = false;
            from.resume();
          });
        }
      }
      if (queue.length) arm();
    };
    const arm = () => {
      timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
      c.timers.add(timer);
    };
    const push = (chunk: Buffer | null) => {
      queue.push({ due: performance.now() + delayMs, chunk });
      if (!timer) arm();
    };
    from.on("data", (chunk: Buffer) => {
      onChunk(chunk);
      push(chunk);
    });
    from.on("end", () => push(null));
  };

  const accept = (client: net.Socket) => {
    const server = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const c: Connection = { client, server, stats: { id: ++nextId, ...zero(), open: true }, startup: Buffer.alloc(0), timers: new Set() };
    live.add(c);
    log.push(c.stats);
    bump(c, "connections", 1);
    client.setNoDelay(true);
    server.setNoDelay(true);

    pipe(c, client, server, (chunk) => {
      if (c.startup) {
        const buf = Buffer.concat([c.startup, chunk]);
        const parsed = parseStartup(buf);
        if (parsed === undefined && buf.length < 65_536) c.startup = buf;
        else {
          c.startup = undefined;
          if (parsed?.database !== undefined) {
            c.stats.database = parsed.database;
            c.stats.user = parsed.user;
            // Its database counts the connection, and its traffic from the startup message on.
            const s = perDatabase.get(parsed.database) ?? zero();
            s.connections += 1;
            perDatabase.set(parsed.database, s);
          }
        }
      }
      bump(c, "bytesUp", chunk.length);
      c.lastSender = "client";
    });
    pipe(c, server, client, (chunk) => {
      bump(c, "bytesDown", chunk.length);
      if (c.lastSender === "client") bump(c, "roundTrips", 1);
      c.lastSender = "server";
    });

    // A clean close is a FIN each way, relayed through the queues. An error (a reset, a refused
    // connection to the target) resets both sides at once, without the delay.
    const abort = () => {
      reset(client);
      reset(server);
    };
    let closed = 0;
    const onClose = (hadError: boolean) => {
      if (hadError) abort();
      if (++closed < 2) return;
      c.stats.open = false;
      for (const t of c.timers) clearTimeout(t);
      live.delete(c);
      if (!live.size) for (const resolve of waiting.splice(0)) resolve();
    };
    client.on("error", abort);
    server.on("error", abort);
    client.on("close", onClose);
    server.on("close", onClose);
  };

  const listener = net.createServer({ allowHalfOpen: true }, accept);
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const address = listener.address();
  if (!address || typeof address === "string") throw new Error("the delay proxy has no TCP address");

  return {
    port: address.port,
    stats: () => ({ ...totals }),
    connections: () => log.map((s) => ({ ...s })),
    byDatabase: () => new Map([...perDatabase].map(([k, v]) => [k, { ...v }])),
    reset() {
      totals = zero();
      perDatabase = new Map();
      log = [];
      // Connections still open go on being counted, from zero.
      for (const c of live) {
        const fresh: ConnectionStats = { id: c.stats.id, ...zero(), database: c.stats.database, user: c.stats.user, open: true };
        c.stats = fresh;
        log.push(fresh);
      }
    },
    idle() {
      return live.size ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve();
    },
    close() {
      for (const c of live) {
        for (const t of c.timers) clearTimeout(t);
        reset(c.client);
        reset(c.server);
      }
      return new Promise((resolve) => listener.close(() => resolve()));
    },
  };
}
