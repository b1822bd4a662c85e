// Kubernetes resource quantities ("100m", "0.5", ".5Gi", "64Mi", "1G", "1e3") as numbers, so values
// are compared by what they mean, not by how they are written ("1000m" equals "1").

const suffixes: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// The API server's grammar: a signed decimal number, then a binary or decimal SI suffix or an exponent.
const quantity = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]))?$/;

/** A quantity in base units (cores, bytes); NaN when the text is not a quantity. */
export function parseQuantity(text: string | number): number {
  const match = quantity.exec(String(text));
  if (!match) return NaN;
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent ? 10 ** Number(exponent.slice(1)) : suffixes[suffix ?? ""]!);
}

/** CPU in millicores; NaN when the text is not a quantity. */
export function parseCpu(text: string | number): number {
  return Math.round(parseQuantity(text) * 1000 * 1e6) / 1e6;
}

/** Bytes (memory or storage); NaN when the text is not a quantity. */
export function parseBytes(text: string | number): number {
  return parseQuantity(text);
}

const durationUnits: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Seconds of a single-unit Prometheus duration ("30s", "15d"); NaN for anything else. */
export function durationSeconds(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d|w)$/.exec(text);
  return match ? Number(match[1]) * durationUnits[match[2]!]! : Number.NaN;
}

/** Seconds of a k6 duration ("2m", "90s", "1h30m"); NaN for anything else. */
export function k6DurationSeconds(text: string): number {
  const match = /^(?=[0-9])(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/.exec(text);
  return match ? Number(match[1] ?? 0) * 3_600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0) : Number.NaN;
}

const prometheusSizeUnits: Readonly<Record<string, number>> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };

/** Bytes of a Prometheus size ("8GB": Prometheus counts in powers of 1024); NaN for anything else. */
export function prometheusSizeBytes(text: string): number {
  const match = /^([0-9]+)(B|KB|MB|GB|TB)$/.exec(text);
  return match ? Number(match[1]) * prometheusSizeUnits[match[2]!]! : Number.NaN;
}
