/**
 * `ecs-shift set-image-tag`: writes a new image tag into one colour's entry of
 * `image_tags = { blue = "...", green = "..." }` in `config/<env>.tfvars`, for the release pull
 * request. Only the bytes of that one string change: comments, alignment and every other line
 * stay as they are. The tag is checked with the config schema's own rule, the result is parsed
 * with the project's config loader before anything is written, and the write is atomic.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Colour } from "./weights";

/** A problem with the file or the tag: names the file, the line and the key. Exit 2. */
export class TfvarsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TfvarsError";
  }
}

interface Token {
  readonly kind: "ident" | "string" | "punct";
  readonly text: string;
  /** Offsets of the whole token in the file (quotes included for strings). */
  readonly start: number;
  readonly end: number;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

/**
 * The tokens of an HCL file that matter for finding one attribute: identifiers, quoted strings
 * and punctuation, with comments (`#`, `//`, `/* *\/`) and heredocs skipped, so that braces or
 * `image_tags` inside a comment or a string are never mistaken for the real thing.
 */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new TfvarsError(`${file}:${lineOf(text, i)}: a /* comment is never closed`);
      i = end + 2;
    } else if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      if (text[i] !== '"') throw new TfvarsError(`${file}:${lineOf(text, start)}: a string is never closed`);
      i++;
      tokens.push({ kind: "string", text: text.slice(start, i), start, end: i });
    } else if (c === "<" && text[i + 1] === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(text.slice(i));
      if (!m) {
        tokens.push({ kind: "punct", text: "<", start: i, end: i + 1 });
        i++;
        continue;
      }
      const close = new RegExp(`^[ \\t]*${m[1]}[ \\t]*$`, "m");
      const rest = text.slice(i + m[0].length);
      const found = close.exec(rest);
      if (!found) throw new TfvarsError(`${file}:${lineOf(text, i)}: heredoc ${m[1]} is never closed`);
      const end = i + m[0].length + found.index + found[0].length;
      tokens.push({ kind: "string", text: text.slice(i, end), start: i, end });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i])) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), start, end: i });
    } else if (/\s/.test(c)) {
      i++;
    } else {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

export interface TagEdit {
  /** The whole file with only the tag's string changed. */
  readonly text: string;
  readonly line: number;
  readonly before: string;
  readonly after: string;
}

const OPEN = new Set(["{", "[", "("]);
const CLOSE = new Set(["}", "]", ")"]);

/**
 * Replaces the value of `image_tags.<colour>` in tfvars `text` with `tag`. The entry must be a
 * plain quoted string (no interpolation); exactly one top-level `image_tags` object must exist.
 */
export function setImageTag(text: string, colour: Colour, tag: string, file: string): TagEdit {
  const tokens = tokenize(text, file);
  let depth = 0;
  const tops: number[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (tok.kind === "punct" && OPEN.has(tok.text)) depth++;
    else if (tok.kind === "punct" && CLOSE.has(tok.text)) depth--;
    else if (depth === 0 && tok.kind === "ident" && tok.text === "image_tags" && tokens[t + 1]?.text === "=") tops.push(t);
  }
  if (tops.length === 0) throw new TfvarsError(`${file}: image_tags: not found; add image_tags = { blue = "<tag>", green = "<tag>" }`);
  if (tops.length > 1) throw new TfvarsError(`${file}:${lineOf(text, tokens[tops[1]].start)}: image_tags: set more than once (first at line ${lineOf(text, tokens[tops[0]].start)})`);
  const open = tops[0] + 2;
  if (tokens[open]?.text !== "{") {
    throw new TfvarsError(`${file}:${lineOf(text, tokens[tops[0]].start)}: image_tags: is not an object literal { blue = "...", green = "..." }; set it by hand`);
  }
  // Entries of the object: `<key> = <value>` (or `:`), key bare or quoted, at depth 1 inside it.
  const found: Array<{ key: number; value: number }> = [];
  let d = 0;
  let closed = false;
  for (let t = open; t < tokens.length; t++) {
    const tok = tokens[t];
    if (tok.kind === "punct" && OPEN.has(tok.text)) d++;
    else if (tok.kind === "punct" && CLOSE.has(tok.text)) {
      d--;
      if (d === 0) {
        closed = true;
        break;
      }
    } else if (d === 1 && (tok.kind === "ident" || tok.kind === "string")) {
      const name = tok.kind === "string" ? tok.text.slice(1, -1) : tok.text;
      const sep = tokens[t + 1];
      if (name === colour && sep && (sep.text === "=" || sep.text === ":")) found.push({ key: t, value: t + 2 });
    }
  }
  if (!closed) throw new TfvarsError(`${file}:${lineOf(text, tokens[open].start)}: image_tags: the { is never closed`);
  const where = (t: number) => `${file}:${lineOf(text, tokens[t].start)}: image_tags.${colour}`;
  if (found.length === 0) throw new TfvarsError(`${file}:${lineOf(text, tokens[open].start)}: image_tags.${colour}: not found inside image_tags; add ${colour} = "<tag>"`);
  if (found.length > 1) throw new TfvarsError(`${where(found[1].key)}: set more than once`);
  const valueTok = tokens[found[0].value];
  const quoted = valueTok?.kind === "string" && valueTok.text.startsWith('"') ? valueTok.text : undefined;
  const after = tokens[found[0].value + 1];
  const isPlain = quoted !== undefined && !/[\\$%]/.test(quoted.slice(1, -1)) && (!after || after.text === "," || after.text === "}" || after.kind !== "punct");
  if (!isPlain) throw new TfvarsError(`${where(found[0].key)}: the value is not a plain quoted string (${JSON.stringify(text.slice(valueTok?.start ?? 0, valueTok?.end ?? 0))}); set it by hand`);
  return {
    text: `${text.slice(0, valueTok.start)}"${tag}"${text.slice(valueTok.end)}`,
    line: lineOf(text, valueTok.start),
    before: quoted!.slice(1, -1),
    after: tag,
  };
}

/** The tag rule of the config schema (lib/config/schema.ts), not a copy of it. */
export function checkTag(tag: string, colour: Colour): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tfvarsSchema } = require("../config/schema") as typeof import("../config/schema");
  const r = tfvarsSchema(false).shape.image_tags.shape[colour].safeParse(tag);
  return r.success ? undefined : r.error.issues.map((i) => i.message).join("; ");
}

export interface WriteResult extends TagEdit {
  readonly file: string;
  readonly colour: Colour;
  readonly changed: boolean;
}

/**
 * Edits `file` in place: checks the tag, edits the text, validates the edited text with the
 * project's config loader (the file's backend included), then writes a temporary file beside it
 * and renames it over the original. Nothing is written when any step fails.
 */
export async function writeImageTag(file: string, colour: Colour, tag: string, opts: { dryRun?: boolean } = {}): Promise<WriteResult> {
  const bad = checkTag(tag, colour);
  if (bad) throw new TfvarsError(`--tag ${JSON.stringify(tag)}: not a valid image tag for ${file} image_tags.${colour}: ${bad}`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new TfvarsError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); give the environment's tfvars with --tfvars`);
  }
  const edit = setImageTag(text, colour, tag, file);
  const result = { ...edit, file, colour, changed: edit.before !== edit.after };
  if (!result.changed) return result;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require("../config") as typeof import("../config");
  let parsed;
  try {
    parsed = await config.parseEnvironmentConfig(file, edit.text, await config.loadBackendConfigFor(file));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new TfvarsError(`${file}: after setting image_tags.${colour} the config does not load, so nothing was written:\n${msg}`);
  }
  if (parsed.imageTags[colour] !== tag) {
    throw new TfvarsError(`${file}: after the edit the loader reads image_tags.${colour} as ${JSON.stringify(parsed.imageTags[colour])}, not ${JSON.stringify(tag)}; nothing was written`);
  }
  if (opts.dryRun) return result;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.ecs-shift-${process.pid}.tmp`);
  const mode = fs.statSync(file).mode & 0o777;
  try {
    const fd = fs.openSync(tmp, "wx", mode);
    try {
      fs.writeFileSync(fd, edit.text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Someone (an editor, another run) changed the file meanwhile: do not overwrite their change.
    if (fs.readFileSync(file, "utf8") !== text) throw new TfvarsError(`${file}: changed while ecs-shift was editing it; nothing was written. Run again.`);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return result;
}
