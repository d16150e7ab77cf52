/**
 * The compile-time link between a description schema (zod, server side) and the contract type it
 * describes (shared/contract/, which stays free of zod for the browser bundles): a field added,
 * dropped or retyped on either side breaks the build instead of the description.
 */

/** `true` when each type is assignable to the other. */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compiles only when `Described` and `Contract` are mutually assignable; does nothing at run time.
 * Call it beside a schema: `inStep<z.output<typeof postSchema>, Post>()`.
 */
export function inStep<Described, Contract>(
  ..._proof: SameType<Described, Contract> extends true
    ? []
    : ['the schema and the contract type differ']
): void {
  // The check is the signature.
}
