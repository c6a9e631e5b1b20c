/** Percentiles of a sample, in the sample's unit. */
export interface Summary { n: number, p50: number, p99: number }

export function summarize (values: number[]): Summary {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN }
  const sorted = Float64Array.from(values).sort()
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return { n: sorted.length, p50: at(0.5), p99: at(0.99) }
}

/** Least-squares slope of y over x. */
export function slope (points: Array<[number, number]>): number {
  const n = points.length
  const mx = sum(points.map((p) => p[0])) / n
  const my = sum(points.map((p) => p[1])) / n
  return sum(points.map(([x, y]) => (x - mx) * (y - my))) / sum(points.map(([x]) => (x - mx) ** 2))
}
export function sum (values: number[]): number { return values.reduce((a, b) => a + b, 0) }
export function median (values: number[]): number { const s = [...values].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN }

/** The servers of a workload in the order they run in `round`: reversed every other round, so a steady drift of the machine's speed favours none of them. */
export function inTurn<T> (list: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? list : [...list].reverse()
}
