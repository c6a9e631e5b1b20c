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

/** The first reason `value` fails a compiled schema: its JSON pointer ('/' for the root) and message. */
export function firstSchemaError (check: TypeCheck<TSchema>, value: unknown): { path: string, message: string } {
  const error = check.Errors(value).First()
  if (error === undefined) return { path: '/', message: 'does not match the schema' }
  return { path: error.path === '' ? '/' : error.path, message: error.message }
}
