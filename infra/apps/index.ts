/**
 * The catalog: the apps this repository knows. A stack chooses which of them it manages
 * (`rollout-stack:apps`). Replace these with your own apps; each is plain data (`types.ts`).
 */
import { analyTicket } from "./analy-ticket";
import { chatSessions } from "./chat-sessions";
import { conversationRawStorage } from "./conversation-raw-storage";
import { healthCompanion } from "./health-companion";
import { metadataContext } from "./metadata-context";
import type { AppDecl } from "./types";

export type { AppDecl } from "./types";

export const CATALOG: readonly AppDecl[] = [chatSessions, analyTicket, metadataContext, healthCompanion, conversationRawStorage];

export type Catalog = ReadonlyMap<string, AppDecl>;

export function catalogByName(apps: readonly AppDecl[] = CATALOG): Catalog {
  return new Map(apps.map((a) => [a.name, a]));
}
