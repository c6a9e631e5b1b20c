// Room name patterns (TypeBox string schemas) -> the parameters of a room name, at run time.
// The compile-time twin is RoomParams in declarations.ts: both read `${string}` and `${number}` placeholders.
import { KindGuard, type TSchema } from '@sinclair/typebox'

/** Reads a room name's parameters; `undefined` when the name is not one of the pattern's. */
export type ParamReader = (name: string) => unknown[] | undefined

// The top-level capture groups of a TypeBox pattern that are placeholders: `(.*)` for `${string}`,
// `(0|[1-9][0-9]*)` for `${number}` / `${bigint}`. Unions and booleans are groups too but fixed
// choices, not parameters (their static type is a union of literals), so they are skipped.
function placeholderGroups (pattern: string): Array<{ group: number, kind: 'string' | 'number' }> {
  const found: Array<{ group: number, kind: 'string' | 'number' }> = []
  let depth = 0
  let group = 0
  let inClass = false
  let start = -1
  let current = 0
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') { i++; continue }
    if (inClass) { if (c === ']') inClass = false; continue }
    if (c === '[') { inClass = true; continue }
    if (c === '(') {
      const capturing = pattern[i + 1] !== '?'
      if (capturing) group++
      if (depth === 0) { start = i + 1; current = capturing ? group : 0 }
      depth++
    } else if (c === ')') {
      depth--
      if (depth === 0 && current !== 0) {
        const body = pattern.slice(start, i)
        if (body === '.*') found.push({ group: current, kind: 'string' })
        else if (body === '0|[1-9][0-9]*') found.push({ group: current, kind: 'number' })
      }
    }
  }
  return found
}

/** The parameter reader of a room pattern, built once at registration. */
export function paramReader (schema: TSchema): ParamReader {
  if (KindGuard.IsUnion(schema)) {
    const readers = schema.anyOf.map(paramReader)
    return (name) => {
      for (const read of readers) {
        const params = read(name)
        if (params !== undefined) return params
      }
      return undefined
    }
  }
  if (KindGuard.IsLiteral(schema)) return (name) => name === schema.const ? [] : undefined
  const pattern = (schema as { pattern?: unknown }).pattern
  if (typeof pattern !== 'string') return () => []
  const regex = new RegExp(pattern)
  const groups = placeholderGroups(pattern)
  return (name) => {
    const match = regex.exec(name)
    if (match === null) return undefined
    return groups.map(({ group, kind }) => kind === 'number' ? Number(match[group]) : match[group])
  }
}
