// A share typed by a person: "0.05", ".5", "5%" or "5 %"; undefined unless it lies within 0–1.

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)$/;
const PERCENT = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/;

export function parseFraction(text: string): number | undefined {
  const trimmed = text.trim();
  const percent = PERCENT.exec(trimmed);
  const value = percent ? Number(percent[1]) / 100 : NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
  return value >= 0 && value <= 1 ? value : undefined;
}
