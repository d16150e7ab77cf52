/**
 * A copy of `value` without the keys whose value is `undefined`: an optional field is then absent
 * rather than present and undefined, so results compare with `deepEqual` and serialise the same
 * whichever way they were built. Own enumerable keys only.
 *
 * @example withoutUndefined({ a: 1, b: undefined }) // { a: 1 }
 */
export function withoutUndefined<T extends object>(value: T): T {
  // A loop rather than entries/filter/fromEntries: every article passes through here, and
  // the arrays those make cost more than the copy itself.
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field: unknown = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    // An own "__proto__" (JSON.parse makes one) stays a key, as fromEntries would keep it.
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: field,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copy[key] = field;
  }
  return copy as T;
}
