// Where a value sits in a YAML file: the line and column of the deepest node of a path that
// exists, so errors and code-scanning results point at the field, not at the file.
import { isMap, isPair, isScalar, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";

export interface Position {
  line: number;
  col: number;
}

/** The position of `path` (keys and list indexes) in a parsed document, or of its deepest existing part. */
export function positionOf(document: Document, lineCounter: LineCounter, path: readonly string[]): Position {
  let node: unknown = document.contents;
  let offset = (document.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) break;
    const items = (node as { items: unknown[] }).items;
    const next = isMap(node) ? items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment) : items[Number(segment)];
    if (!next) break;
    if (isPair(next)) {
      offset = (next.key as Node | null)?.range?.[0] ?? offset;
      node = next.value;
    } else {
      offset = (next as Node).range?.[0] ?? offset;
      node = next;
    }
  }
  return lineCounter.linePos(offset);
}

/** The position of a JSON pointer in one YAML document (by index, 0 = first) of a parsed text. */
export type PointerLocator = (pointer: string, documentIndex?: number) => Position;

/**
 * Positions of JSON pointers ("/spec/template/spec/containers/0") in a YAML text of one or more
 * documents: the text is parsed once, here, and every pointer asked of the result is looked up
 * in that parse. A document index past the last points at the end of the text.
 */
export function pointerLocator(text: string): PointerLocator {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, version: "1.1" });
  const documents = Array.isArray(parsed) ? parsed : [];
  return (pointer, documentIndex = 0) => {
    const document = documents[documentIndex];
    if (document === undefined) return lineCounter.linePos(text.length);
    const path = pointer.split("/").slice(1).map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
    return positionOf(document, lineCounter, path);
  };
}
