/**
 * The building blocks of the request schemas (./schemas.ts): valibot schemas whose messages are the
 * sentences a user reads. Each takes the label its sentences start with ("Image id", "Mask path").
 * Requests are parsed with abortEarly (./requests.ts), so only the first failed check is reported:
 * the order of the checks in a pipe, and of the fields in a record, is the order they are tried in.
 */
import * as v from 'valibot';
import { MAX_SUFFIX_LENGTH } from '../base/limits.js';
import { MAX_NAME_LENGTH, MAX_PATH_LENGTH, MAX_UPLOAD_BYTES } from './limits.js';
import { ValidationError } from './validate.js';

/** How a refused value is quoted back: `number 42`, `"photo.png"`, `a list`, `bytes`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return `"${value.slice(0, 40)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A message that ends by quoting the refused value: `${sentence}, not ${value}.` */
const not =
  /* @__NO_SIDE_EFFECTS__ */
  (sentence: string) =>
    (issue: v.BaseIssue<unknown>): string =>
      `${sentence}, not ${describe(issue.input)}.`;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);

/**
 * A plain object with exactly the keys of `entries`: a key whose entry is v.exactOptional may be left
 * out, and a key whose value is undefined counts as left out (and is left out of the output).
 * Refused, in this order: anything but a plain object, an unknown key (never ignored), a missing key;
 * then each field is checked in the order `entries` declares them.
 */
/* @__NO_SIDE_EFFECTS__ */
export function record<const E extends v.ObjectEntries>(label: string, entries: E) {
  const keys = Object.keys(entries);
  const required = keys.filter((key) => entries[key].type !== 'exact_optional');
  return v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const value = dataset.value;
      if (!isPlainObject(value)) {
        addIssue({ message: `${label} must be an object.` });
        return NEVER;
      }
      const given: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value)) {
        if (!keys.includes(key)) {
          addIssue({ message: `${label} has an unknown field "${key.slice(0, 40)}".` });
          return NEVER;
        }
        if (field !== undefined) given[key] = field;
      }
      const missing = required.find((key) => !(key in given));
      if (missing !== undefined) {
        addIssue({ message: `${label} is missing "${missing}".` });
        return NEVER;
      }
      return given;
    }),
    v.object(entries),
  );
}

/**
 * A step that checks the value with one of ./validate.ts's parsers (those of the CLI and the forms),
 * so the sentences are theirs: its ValidationError becomes the issue.
 */
/* @__NO_SIDE_EFFECTS__ */
function parsing<I, T>(parse: (value: I, label: string) => T, label: string) {
  return v.rawTransform<I, T>(({ dataset, addIssue, NEVER }) => {
    try {
      return parse(dataset.value, label);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      addIssue({ message: error.message });
      return NEVER;
    }
  });
}

/** A value checked by one of ./validate.ts's parsers. */
export const parsedBy = /* @__NO_SIDE_EFFECTS__ */ <T>(parse: (value: unknown, label: string) => T, label: string) =>
  v.pipe(v.unknown(), parsing(parse, label));

/**
 * A number (of type number: a form's "3" is refused here, where the CLI would take it) checked by one
 * of ./validate.ts's parsers. NaN passes the type check and gets the parser's sentence.
 */
export const numberParsedBy = /* @__NO_SIDE_EFFECTS__ */ <T>(parse: (value: unknown, label: string) => T, label: string) =>
  v.pipe(
    v.custom<number>((input) => typeof input === 'number', not(`${label} must be a number`)),
    parsing<number, T>(parse, label),
  );

/** Runs `schema` inside another's parse with the same settings; its issues become that parse's. */
function parseInside<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  { lang, abortEarly, abortPipeEarly }: Pick<v.Config<never>, 'lang' | 'abortEarly' | 'abortPipeEarly'>,
  addIssue: (info: { message: string; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void,
): { ok: true; output: v.InferOutput<S> } | { ok: false } {
  const result = v.safeParse(schema, value, { lang, abortEarly, abortPipeEarly });
  if (result.success) return { ok: true, output: result.output };
  for (const issue of result.issues) addIssue({ message: issue.message, ...(issue.path ? { path: issue.path } : {}) });
  return { ok: false };
}

/**
 * A union whose variants differ in their fields (a job's settings by task): `shared` checks what
 * decides the variant and knows every field of every variant; `pick` then chooses the variant's
 * schema, which checks the same value again, from the start.
 */
/* @__NO_SIDE_EFFECTS__ */
export function variants<P extends v.GenericSchema, S extends v.GenericSchema>(shared: P, pick: (value: v.InferOutput<P>) => S) {
  return v.pipe(
    v.unknown(),
    v.rawTransform<unknown, v.InferOutput<S>>(({ dataset, config, addIssue, NEVER }) => {
      const probe = parseInside(shared, dataset.value, config, addIssue);
      if (!probe.ok) return NEVER;
      const variant = parseInside(pick(probe.output), dataset.value, config, addIssue);
      return variant.ok ? variant.output : NEVER;
    }),
  );
}

/** Text: not empty, at most `max` characters, no NUL. */
/* @__NO_SIDE_EFFECTS__ */
export function text(label: string, max: number) {
  return v.pipe(
    v.string(not(`${label} must be text`)),
    v.nonEmpty(`${label} must not be empty.`),
    v.maxLength(max, (issue) => `${label} is too long (${issue.received} characters; at most ${max}).`),
    v.excludes('\0', `${label} must not contain a NUL character.`),
  );
}

const isAbsolute = (p: string): boolean => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/** A file path: text, no NUL, bounded; absolute (the backend resolves nothing relative to its cwd). */
/* @__NO_SIDE_EFFECTS__ */
export function path(label = 'Path') {
  return v.pipe(
    text(label, MAX_PATH_LENGTH),
    v.check(isAbsolute, (issue) => `${label} must be an absolute path, not "${issue.input.slice(0, 80)}".`),
  );
}

/** A file name for display (uploads): no folders. */
/* @__NO_SIDE_EFFECTS__ */
export function fileName(label = 'File name') {
  return v.pipe(
    text(label, MAX_NAME_LENGTH),
    v.check((name) => !/[\\/]/.test(name), `${label} must be a file name without folders.`),
  );
}

/** An id the backend handed out: 'img-1a2b', 'job-3', 'batch-7'. */
/* @__NO_SIDE_EFFECTS__ */
export function id(label: string) {
  const message = `${label} is not a valid id.`;
  return v.pipe(v.string(message), v.regex(/^[a-z]+-[0-9a-z]{1,32}$/, message));
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** Bytes of a file: a Uint8Array, not empty, at most `max` bytes. */
/* @__NO_SIDE_EFFECTS__ */
export function bytes(label: string, max = MAX_UPLOAD_BYTES) {
  return v.pipe(
    // Not v.instance: its type, Uint8Array<ArrayBuffer>, would refuse views of other buffers at compile time.
    v.custom<Uint8Array>((input) => input instanceof Uint8Array, not(`${label} must be bytes`)),
    v.nonEmpty(`${label} is empty (zero bytes).`),
    v.maxLength(max, (issue) => `${label} is too large (${mib(issue.input.length)}; at most ${mib(max)}).`),
  );
}

/** A whole number from `min` to `max`; every refusal is the one sentence `${sentence}, not ${value}.` */
/* @__NO_SIDE_EFFECTS__ */
export function wholeNumber(sentence: string, min: number, max: number) {
  const message = not(sentence);
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

/** An image side in pixels. */
export const dimension = /* @__NO_SIDE_EFFECTS__ */ (label: string) =>
  wholeNumber(`${label} must be a whole number of pixels from 1 to 1000000`, 1, 1_000_000);

/** The DL-Net step size γ, strictly between 0 and 1. */
/* @__NO_SIDE_EFFECTS__ */
export function gamma(label = 'Step size γ') {
  const message = not(`${label} must be a number between 0 and 1`);
  return v.pipe(v.number(message), v.finite(message), v.gtValue(0, message), v.ltValue(1, message));
}

/** A fraction from 0 to 1 (NaN, of type number, is refused as not a fraction). */
/* @__NO_SIDE_EFFECTS__ */
export function fraction(label: string) {
  return v.pipe(
    v.custom<number>((input) => typeof input === 'number', not(`${label} must be a number`)),
    v.check((x) => x >= 0 && x <= 1, `${label} must be a fraction from 0 to 1.`),
  );
}

/** One of `options`; refused with `${sentence}, not ${value}.` */
/* @__NO_SIDE_EFFECTS__ */
export function oneOf<const T extends readonly string[]>(options: T, sentence: string) {
  return v.picklist(options, not(sentence));
}

export const flag = /* @__NO_SIDE_EFFECTS__ */ (label: string) => v.boolean(not(`${label} must be true or false`));

/** A suffix for output names: may be empty; no folder separators, reserved or control characters. */
/* @__NO_SIDE_EFFECTS__ */
export function suffix(label = 'Suffix') {
  return v.pipe(
    v.string(not(`${label} must be text`)),
    v.maxLength(MAX_SUFFIX_LENGTH, `${label} must be at most ${MAX_SUFFIX_LENGTH} characters long.`),
    v.check(
      // eslint-disable-next-line no-control-regex
      (s) => !/[/\\:*?"<>|\u0000-\u001f\u007f]/.test(s),
      (issue) =>
        `${label} "${issue.input.slice(0, 40)}" contains a character that is not allowed in file names (/ \\ : * ? " < > | or a control character).`,
    ),
    v.check((s) => s.trim() === s, `${label} must not start or end with a space.`),
  );
}
