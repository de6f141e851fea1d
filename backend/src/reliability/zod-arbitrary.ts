// Test support (not a test file): fast-check arbitraries derived from zod schemas, and
// "near misses" of them, so the fuzz tests send what a client could almost send — valid
// shapes with one field wrong, missing or of another type — as well as plain garbage.
import fc from 'fast-check';
import { z } from 'zod';

/** Strings that have broken servers before: SQL, paths, control bytes, huge numbers, CJK. */
export const NASTY_STRINGS = [
  '',
  ' ',
  "1' OR '1'='1",
  '1; DROP TABLE units; --',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '<script>alert(1)</script>',
  '=HYPERLINK("x")',
  '鼓楼区',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '99999999999999999999999',
  'x'.repeat(5000),
  '{"$gt":""}',
  '__proto__',
  'constructor',
];

const nasty = fc.constantFrom(...NASTY_STRINGS);
const weirdNumber = fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, 0.5, -0.0);

/** Any JSON value, with the nasty strings and numbers mixed in. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'id', 'unitId')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

type Def = { typeName?: string; [k: string]: unknown };

/** An arbitrary of values valid for the schema (best effort: refinements may still reject some). */
export function arbitraryOf(schema: z.ZodTypeAny, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  const def = schema._def as Def;
  switch (def.typeName) {
    case 'ZodString': {
      const checks = (def.checks as Array<{ kind: string; value?: number }>) ?? [];
      const max = checks.find((c) => c.kind === 'max')?.value ?? 40;
      const min = checks.find((c) => c.kind === 'min')?.value ?? 0;
      if (checks.some((c) => c.kind === 'datetime')) return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (checks.some((c) => c.kind === 'email')) return fc.emailAddress();
      return fc.string({ minLength: min, maxLength: Math.min(max, 60) });
    }
    case 'ZodNumber': {
      const checks = (def.checks as Array<{ kind: string; value?: number; inclusive?: boolean }>) ?? [];
      const min = checks.find((c) => c.kind === 'min')?.value ?? -1e6;
      const max = checks.find((c) => c.kind === 'max')?.value ?? 1e6;
      if (checks.some((c) => c.kind === 'int')) return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) });
      return fc.double({ min, max, noNaN: true });
    }
    case 'ZodBigInt':
      return fc.bigInt({ min: 0n, max: 2n ** 40n }).map(String);
    case 'ZodBoolean':
      return fc.boolean();
    case 'ZodDate':
      return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    case 'ZodLiteral':
      return fc.constant(def.value);
    case 'ZodEnum':
      return fc.constantFrom(...(def.values as string[]));
    case 'ZodNativeEnum':
      return fc.constantFrom(...Object.values(def.values as Record<string, unknown>));
    case 'ZodNull':
      return fc.constant(null);
    case 'ZodUndefined':
    case 'ZodVoid':
      return fc.constant(undefined);
    case 'ZodOptional':
      return fc.option(arbitraryOf(def.innerType as z.ZodTypeAny, depth + 1), { nil: undefined });
    case 'ZodNullable':
      return fc.option(arbitraryOf(def.innerType as z.ZodTypeAny, depth + 1), { nil: null });
    case 'ZodDefault':
    case 'ZodCatch':
    case 'ZodReadonly':
    case 'ZodBranded':
      return arbitraryOf((def.innerType ?? def.type) as z.ZodTypeAny, depth + 1);
    case 'ZodEffects':
      return arbitraryOf(def.schema as z.ZodTypeAny, depth + 1);
    case 'ZodPipeline':
      return arbitraryOf(def.in as z.ZodTypeAny, depth + 1);
    case 'ZodLazy':
      return arbitraryOf((def.getter as () => z.ZodTypeAny)(), depth + 1);
    case 'ZodArray': {
      const max = (def.maxLength as { value: number } | null)?.value ?? 4;
      const min = (def.minLength as { value: number } | null)?.value ?? 0;
      return fc.array(arbitraryOf(def.type as z.ZodTypeAny, depth + 1), { minLength: min, maxLength: Math.min(Math.max(min, max), 5) });
    }
    case 'ZodTuple':
      return fc.tuple(...(def.items as z.ZodTypeAny[]).map((s) => arbitraryOf(s, depth + 1)));
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      const options = (def.options as z.ZodTypeAny[] | Map<unknown, z.ZodTypeAny>);
      const list = Array.isArray(options) ? options : [...options.values()];
      return fc.oneof(...list.map((s) => arbitraryOf(s, depth + 1)));
    }
    case 'ZodIntersection':
      return fc
        .tuple(arbitraryOf(def.left as z.ZodTypeAny, depth + 1), arbitraryOf(def.right as z.ZodTypeAny, depth + 1))
        .map(([a, b]) => (a && b && typeof a === 'object' && typeof b === 'object' ? { ...a, ...b } : a));
    case 'ZodRecord':
      return fc.dictionary(fc.string({ maxLength: 8 }), arbitraryOf(def.valueType as z.ZodTypeAny, depth + 1), { maxKeys: 3 });
    case 'ZodObject': {
      const shape = (schema as z.ZodObject<z.ZodRawShape>).shape;
      const parts: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(shape)) parts[k] = arbitraryOf(s as z.ZodTypeAny, depth + 1);
      return fc.record(parts);
    }
    default:
      return anyJson;
  }
}

/**
 * A valid value of the schema, or one mutation away from it: a field dropped, a field
 * replaced by garbage, an extra field, or the whole value replaced by garbage.
 */
export function nearMissOf(schema: z.ZodTypeAny): fc.Arbitrary<unknown> {
  const valid = arbitraryOf(schema);
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat(), anyJson, fc.constantFrom('drop', 'replace', 'extra')).map(([v, i, junk, how]) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return junk;
      const o = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(o);
      if (how === 'extra' || keys.length === 0) return { ...o, [`x${i % 7}`]: junk };
      const k = keys[i % keys.length]!;
      if (how === 'drop') delete o[k];
      else o[k] = junk;
      return o;
    }),
    anyJson,
  );
}

/** Every zod object-like schema a module exports (request bodies, queries, messages). */
export function schemasOf(mod: Record<string, unknown>): z.ZodTypeAny[] {
  const out: z.ZodTypeAny[] = [];
  for (const [name, v] of Object.entries(mod)) {
    if (!name.endsWith('Schema') || !(v instanceof z.ZodType)) continue;
    const t = (v._def as Def).typeName;
    if (t === 'ZodObject' || t === 'ZodEffects' || t === 'ZodDiscriminatedUnion' || t === 'ZodUnion') out.push(v);
  }
  return out;
}
