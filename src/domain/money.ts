import type { LineItem } from './types.ts';

/** Money is kept in integer minor units; the API shows decimal strings with two decimals. */
export const formatCents = (cents: number): string => {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
};

/** Parses a positive decimal string with at most two decimals; returns null for anything else. */
export const parseCents = (text: string): number | null => {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const [, whole = '0', fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : null;
};

/** The share of `totalCents` that units `from..to` of `quantity` carry, so shares always add up to the total. */
export const unitShare = (totalCents: number, quantity: number, from: number, to: number): number =>
  Math.round((totalCents * to) / quantity) - Math.round((totalCents * from) / quantity);

/** A line's total as charged: unit price times quantity, less discount, plus tax. */
export const lineTotalCents = (line: LineItem): number => line.price_cents * line.quantity - line.discount_cents + line.tax_cents;
