/**
 * 1234567 → "1,234,567". By hand: toLocaleString loads ICU data, which costs
 * more than a whole analysis of a deep core.
 */
export const thousands = (x: number) => String(x).replace(/\B(?=(\d{3})+$)/g, ',');
