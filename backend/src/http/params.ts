// Path parameters shared by the routers: parsed with zod like every other input.
import { z } from 'zod';

/** A row id in the path (`/:id`, `/:deviceId`, …): a positive integer. */
export const idParam = z.coerce.number().int().positive();
