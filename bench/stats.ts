/** Percentiles of a sample, in the sample's unit. */
export interface Summary { n: number, p50: number, p99: number }

export function summarize (values: number[]): Summary {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN }
  const sorted = Float64Array.from(values).sort()
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return { n: sorted.length, p50: at(0.5), p99: at(0.99) }
}
