import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'

// Small value checks shared by the option checks, the envelope parser and the resources.

/** An object literal or a null-prototype object: nothing with a class, an array or a function. */
export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A short, safe rendering of an untrusted value for an error message. */
export function describe (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `'${value.slice(0, 64)}'`
  if (typeof value === 'number') return String(value)
  return typeof value
}

/** The message of whatever was thrown. */
export function messageOf (err: unknown): string {
  if (err instanceof Error) return err.message
  if (err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message
  }
  return String(err)
}

// Edit distance between two short names (for "did you mean").
function distance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length] as number
}

/** The known name closest to a mistyped one (case-insensitive, at most a third of its letters off), if any. */
export function closestName (name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(name.length / 3))
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase())
    if (d <= bestDistance && (best === undefined || d < bestDistance)) { best = candidate; bestDistance = d }
  }
  return best
}

/** `unknown option 'x'`, with the closest known name when there is one. */
export function unknownOption (name: string, known: readonly string[], path = ''): string {
  const guess = closestName(name, known)
  return `unknown option '${path}${name.slice(0, 64)}'${guess === undefined ? '' : ` (did you mean '${path}${guess}'?)`}`
}

/** The first reason `value` fails a compiled schema: its JSON pointer ('/' for the root) and message. */
export function firstSchemaError (check: TypeCheck<TSchema>, value: unknown): { path: string, message: string } {
  const error = check.Errors(value).First()
  if (error === undefined) return { path: '/', message: 'does not match the schema' }
  return { path: error.path === '' ? '/' : error.path, message: error.message }
}

/**
 * An empty object with no inherited keys (no `constructor`, no `__proto__` accessor) that V8 keeps in fast
 * mode: `Object.create(null)` makes a dictionary-mode object, several times slower to fill, read and copy,
 * which matters on the per-request path. `Object.getPrototypeOf` of one is an empty null-prototype object.
 */
export const NullObject = function NullObject () {} as unknown as new <T extends object>() => T
NullObject.prototype = Object.create(null)
