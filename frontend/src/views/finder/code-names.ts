// Unit category names (GET /api/units/categories: the table the server validates against),
// fetched once per page and shared by the finder and the unit view.
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { api } from '../../api/http.ts';
import type { Locale } from '../../lib/i18n.ts';

const categoriesSchema = z.array(z.object({ code: z.string(), nameZh: z.string(), nameEn: z.string().nullable().optional(), highRisk: z.boolean() }));
export type Category = z.infer<typeof categoriesSchema>[number];

let cached: Promise<Category[]> | null = null;

export function loadCategories(): Promise<Category[]> {
  cached ??= api('/api/units/categories', categoriesSchema).catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/** The categories, or null while they load (or until `enabled`: the finder asks only once opened). */
export function useCategories(enabled = true): Category[] | null {
  const [list, setList] = useState<Category[] | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    loadCategories()
      .then((c) => live && setList(c))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [enabled]);
  return list;
}

/** The category's name in the locale ('…' while the table loads; an unknown code as it is). */
export function categoryName(list: readonly Category[] | null, locale: Locale, code: string): string {
  if (!list) return '…';
  const c = list.find((x) => x.code === code);
  if (!c) return code;
  return locale === 'en' && c.nameEn ? c.nameEn : c.nameZh;
}
