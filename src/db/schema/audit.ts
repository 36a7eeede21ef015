import { text } from "drizzle-orm/sqlite-core";

/** Who created and last changed a row, and when (ISO-8601 strings, as the contract returns them). */
export const auditColumns = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  createdBy: text("created_by"),
  updatedBy: text("updated_by"),
};
