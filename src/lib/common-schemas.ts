import { z } from "@hono/zod-openapi";

export const SettingMetaSchema = z
  .object({
    id: z.string().openapi({ example: "a10bd0ff-4391-4cfc-88ee-b19d718a9bf7" }),
    created_at: z.string().datetime().openapi({ example: "2024-01-15T10:30:00.000Z" }),
    updated_at: z.string().datetime().optional(),
    created_by: z.string().optional().openapi({ example: "user-123" }),
    updated_by: z.string().optional().openapi({ example: "user-456" }),
  })
  .openapi("SettingMeta");

export const stringList = (example: string[]) =>
  z.array(z.string().trim().min(1).max(256)).max(1000).openapi({ example });
