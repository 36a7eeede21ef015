/**
 * What the bundle gets for zod's `core/compile.js` (wrangler.toml `[alias]`): the ahead-of-time compiler
 * (`z.compile`) generates code with `new Function`, which Workers disallow, so in a Worker it can only
 * ever fall back to the runtime parser. This keeps that fallback (and zod's export names, which its
 * namespace re-exports) without the ~31 KiB code generator. Nothing in the Worker calls these; `compile`
 * answers the schema itself, exactly what zod's own `compile` answers where code generation fails.
 */
const unavailable = (name: string) =>
  new Error(`zod's ${name} is not part of the Worker bundle (wrangler.toml [alias]): code generation is disallowed`);

export const INVALID = Symbol.for("zod.compile.invalid");

export class ZodCompileAsyncError extends Error {
  constructor(message = "z.compile does not support async refinements, transforms, or checks") {
    super(message);
    this.name = "ZodCompileAsyncError";
  }
}

export class ZodCompileUnsupportedError extends Error {
  constructor(feature = "code generation (new Function), which Workers disallow") {
    super(`z.compile does not support ${feature}; this schema must use the runtime parser`);
    this.name = "ZodCompileUnsupportedError";
  }
}

export function compile<T>(schema: T, options?: { strict?: boolean }): T {
  if (options?.strict) throw new ZodCompileUnsupportedError();
  return schema;
}

export function withParser(): never {
  throw unavailable("withParser");
}

export function compileFn(): never {
  throw unavailable("compileFn");
}
