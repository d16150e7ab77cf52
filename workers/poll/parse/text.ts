/** Text values of feed items, as the format mappers read them. */

/** `text` trimmed, or undefined when blank. */
export function nonBlank(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Plain text made safe to read as HTML. Only `<` is escaped: publishers put entities such as
 * `&#8211;` in fields that are plain text by the spec, and those should still decode; a literal
 * `<` must not start a tag.
 */
export function plainToHtml(text: string | undefined): string | undefined {
  return nonBlank(text)?.replaceAll('<', '&lt;');
}
