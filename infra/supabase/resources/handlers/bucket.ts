/**
 * Provider handler of `Bucket`: an idempotent upsert into `storage.buckets` (`convergeBucket`) of a
 * bucket validated at program time as the Storage API validates it. Delete does nothing: deleting a
 * bucket is the Storage API's job (a trigger blocks SQL deletes), and the component retains it.
 * Bundled into the dynamic provider.
 */
import { withDatabase } from "../../connection";
import { convergeBucket } from "../../converge";
import { readBucketQuery, type BucketSpec } from "../../sql/buckets";
import type { Handler } from "../../../dynamic/provider";

/** A bucket's inputs: its spec with the id as `bucketId` (Pulumi reserves the property `id`). */
export interface BucketInputs extends Omit<BucketSpec, "id"> {
  database: string;
  bucketId: string;
}

const settings = (b: BucketInputs) => JSON.stringify([b.name, b.public, b.fileSizeLimit, b.allowedMimeTypes]);

function specOf(b: BucketInputs): BucketSpec {
  return { id: b.bucketId, name: b.name, public: b.public, fileSizeLimit: b.fileSizeLimit, allowedMimeTypes: b.allowedMimeTypes };
}

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["database", "bucketId"] as const;

export const handler: Handler<BucketInputs, BucketInputs> = {
  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    return { changes: settings(olds) !== settings(news) };
  },
  async create(inputs, ctx) {
    await withDatabase(inputs.database, ctx, (client) => convergeBucket(client, specOf(inputs)));
    return { id: `${inputs.database}/bucket/${inputs.bucketId}`, outs: inputs };
  },
  async update(_id, _olds, news, ctx) {
    await withDatabase(news.database, ctx, (client) => convergeBucket(client, specOf(news)));
    return { outs: news };
  },
  /** Refresh: the bucket's stored settings (a bucket deleted through the Storage API reads as gone). */
  async read(id, props, ctx) {
    const q = readBucketQuery(props.bucketId);
    const row = await withDatabase(props.database, ctx, async (client) => (await client.query(q.text, q.values)).rows[0]);
    if (!row) return { id: "" };
    return {
      id,
      props: {
        ...props,
        name: row.name,
        public: row.public,
        fileSizeLimit: row.file_size_limit === null ? null : Number(row.file_size_limit),
        allowedMimeTypes: row.allowed_mime_types,
      },
    };
  },
  async delete() {
    // Retained: buckets are deleted (emptied first) through the Storage API, never by SQL.
  },
};
