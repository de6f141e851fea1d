// Path parameters shared by the routers: parsed with zod like every other input.
import { z } from 'zod';

const idNumber = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * Marks the issues of a path parameter: a route parses `req.params.id` on its own, so the
 * issue has no path, and the error formatter (http/app.ts) names it a path parameter
 * instead of the body.
 */
export const PATH_PARAM_ISSUE = { in: 'path' } as const;

/**
 * A row id in the path (`/:id`, `/:deviceId`, …): a positive integer that JavaScript holds
 * exactly, written in decimal digits. A bad one is a 400 saying "path parameter: expected a positive integer id, got "abc"".
 */
export const idParam = z.unknown().transform((v, ctx) => {
  // Decimal digits only: Number() would also read '0x11', '1e3' or ' 17' as ids.
  const r = typeof v === 'string' && !/^[0-9]+$/.test(v) ? null : idNumber.safeParse(v);
  if (r?.success) return r.data;
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `expected a positive integer id (1 to ${Number.MAX_SAFE_INTEGER}), got ${JSON.stringify(String(v).slice(0, 40))}`,
    params: PATH_PARAM_ISSUE,
  });
  return z.NEVER;
});

/** The label of an issue without a path: a path parameter's, or the body's. */
export function issueLabel(issue: z.ZodIssue): string {
  if (issue.path.length > 0) return issue.path.join('.');
  return issue.code === z.ZodIssueCode.custom && issue.params?.in === PATH_PARAM_ISSUE.in ? 'path parameter' : '(body)';
}

/** The caller's address for the audit log (req.ip honours TRUST_PROXY), or null. */
export const ipOf = (req: { ip?: string | undefined }): string | null => req.ip ?? null;
