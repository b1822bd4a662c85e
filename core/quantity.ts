// Kubernetes resource quantities ("100m", "0.5", "64Mi", "1G") as numbers, so values are compared
// by what they mean, not by how they are written ("1000m" equals "1").

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** CPU in millicores; NaN when the text is not a CPU quantity. */
export function parseCpu(quantity: string | number): number {
  const text = String(quantity);
  if (!/^[0-9]+(\.[0-9]+)?m?$/.test(text)) return NaN;
  return text.endsWith("m") ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

/** Bytes (memory or storage); NaN when the text is not a byte quantity. */
export function parseBytes(quantity: string | number): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(String(quantity));
  if (!match) return NaN;
  const factor = binary[match[2]!] ?? decimal[match[2]!];
  return factor === undefined ? NaN : Number(match[1]) * factor;
}
