// Path parameters shared by the routers: parsed with zod like every other input.
import { z } from 'zod';

/** A row id in the path (`/:id`, `/:deviceId`, …): a positive integer that JavaScript holds exactly. */
export const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** The caller's address for the audit log (req.ip honours TRUST_PROXY), or null. */
export const ipOf = (req: { ip?: string | undefined }): string | null => req.ip ?? null;
