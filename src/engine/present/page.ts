import type { Page } from '../../domain/queries.ts';

/** The cursor fields every list carries next to its items (third-party observation, see PageInfo). */
export function cursor<T extends { id: string }>(page: Page<T>): { has_more: boolean; starting_after: string | null } {
  const last = page.items[page.items.length - 1];
  return { has_more: page.has_more, starting_after: page.has_more && last ? (page.next ?? last.id) : null };
}
