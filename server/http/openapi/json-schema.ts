/**
 * A zod schema as the JSON Schema the API descriptions embed, through zod's own converter: the
 * same schema that validates (or, for answers, is held to the contract type) is the one printed.
 */
import { z } from 'zod';

/** A JSON Schema object as the descriptions embed it. */
export type JsonSchema = Record<string, unknown>;

export interface SchemaOptions {
  /**
   * `input` for what a client sends (a field with a default is optional), `output` for what
   * Khabar answers (every field it always sets is required, and no other field may appear).
   */
  io: 'input' | 'output';
  /** OpenAPI 3.1 speaks draft 2020-12; AsyncAPI 3.0's default schema format is draft-07. */
  target: 'draft-2020-12' | 'draft-7';
}

export function jsonSchemaOf(schema: z.ZodType, { io, target }: SchemaOptions): JsonSchema {
  // Refinements (a URL's protocol, a date that parses) cannot be said in JSON Schema; the
  // validator still applies them, so the document states the shape and leaves them out.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target,
    io,
    unrepresentable: 'any',
  });
  return rest;
}
