/**
 * A copy of `value` without the keys whose value is `undefined`: an optional field is then absent
 * rather than present and undefined, so results compare with `deepEqual` and serialise the same
 * whichever way they were built. Own enumerable keys only.
 *
 * @example withoutUndefined({ a: 1, b: undefined }) // { a: 1 }
 */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
