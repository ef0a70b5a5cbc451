/**
 * The network bench's relay in front of a real embedded Postgres: what the bench reports (round
 * trips of a connection's setup and of its queries, connections per database) counted exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDelayProxy, type DelayProxy } from "../../bench/delay-proxy";
import { connect } from "../../infra/supabase/local-postgres";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
let proxy: DelayProxy;
/** A URL of the test cluster, through the relay. */
const via = (url: string) => {
  const u = new URL(url);
  u.port = String(proxy.port);
  return u.toString();
};

beforeAll(async () => {
  pg = await startTestPostgres();
  proxy = await startDelayProxy({ target: { host: "127.0.0.1", port: pg.port }, delayMs: 2 });
});
afterAll(async () => {
  await proxy?.close();
  await pg?.stop();
});

describe("delay proxy in front of Postgres", () => {
  it("counts a connection's setup, each query as one round trip, and attributes both to the database", async () => {
    const other = await pg.createDatabase("other-db");
    proxy.reset();

    const client = await connect(via(pg.url));
    // Startup → SASL challenge, client-first → server-first, client-final → server-final + ready.
    expect(proxy.stats()).toMatchObject({ connections: 1, roundTrips: 3 });
    proxy.reset();
    for (let i = 0; i < 5; i++) await client.query("select 1");
    await client.query("select $1::int", [1]);
    expect(proxy.stats().roundTrips).toBe(6);

    const second = await connect(via(other.url));
    await second.query("select 1");
    await second.query("select 2");
    await Promise.all([client.end(), second.end()]);
    await proxy.idle();

    expect(Object.fromEntries(proxy.byDatabase())).toEqual({
      postgres: expect.objectContaining({ connections: 0, roundTrips: 6 }),
      "other-db": expect.objectContaining({ connections: 1, roundTrips: 3 + 2 }),
    });
    expect(proxy.connections().map((c) => [c.database, c.user, c.roundTrips, c.open])).toEqual([
      ["postgres", "postgres", 6, false],
      ["other-db", "postgres", 5, false],
    ]);
    expect(proxy.stats()).toMatchObject({ connections: 1, roundTrips: 11 });
  });
});
