// Builds core/validate/field-catalog.json: every field of every Kubernetes kind (and the
// Argo CD CRDs), read from the type declarations of the same kubernetes-models packages whose
// validate() we call. kubernetes-models' runtime validators accept unknown fields; this catalog
// lets the strict pass reject them. Run after bumping kubernetes-models:
//   npm run catalog
// A test re-builds it and fails when the committed file is stale.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export interface FieldCatalog {
  /** "apiVersion/kind" → type key */
  kinds: Record<string, string>;
  /** type key → field name → type reference ("string", "number", "boolean", "scalar", "any", "[]T", "{}T" or a type key) */
  types: Record<string, Record<string, string>>;
}

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, "..", "..", "node_modules");
// Our own declarations of kinds no Node 20 kubernetes-models package has (Gateway API).
const extraKinds = join(here, "extra-kinds");
const modelRoots = [
  join(nodeModules, "kubernetes-models"),
  join(nodeModules, "@kubernetes-models", "argo-cd"),
  extraKinds,
];
export const catalogPath = join(here, "field-catalog.json");

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === "node_modules" || entry.startsWith("_")) return [];
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return declarationFiles(full);
    return entry.endsWith(".d.ts") && entry !== "index.d.ts" ? [full] : [];
  });
}

/** Short, stable name of a declaration file: "apps/v1/DeploymentSpec", "argo-cd/argoproj.io/v1alpha1/Application". */
function typeKeyOf(fileName: string): string {
  if (fileName.startsWith(extraKinds)) return `extra-kinds/${relative(extraKinds, fileName).replace(/\.d\.ts$/, "")}`;
  return relative(nodeModules, fileName)
    .replace(/\.d\.ts$/, "")
    .replace(/^kubernetes-models\//, "")
    .replace(/^@kubernetes-models\//, "");
}

export function buildFieldCatalog(): FieldCatalog {
  const files = modelRoots.flatMap(declarationFiles).sort();
  // The declarations need only the ES library's types: no DOM, no @types packages (half the time).
  const program = ts.createProgram(files, { strict: true, noEmit: true, skipLibCheck: true, lib: ["lib.es5.d.ts"], types: [] });
  const checker = program.getTypeChecker();
  const catalog: FieldCatalog = { kinds: {}, types: {} };

  const scalarOf = (type: ts.Type): string | undefined => {
    if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return "string";
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return "number";
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return "boolean";
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return "any";
    return undefined;
  };

  const describe = (raw: ts.Type, anonymousKey: string): string => {
    const type = checker.getNonNullableType(raw);
    // A global the program's lib (ES5 only) does not declare, used by a future release's
    // declarations, resolves to the error type: it would pass for "any" and silently end the
    // checks under that field.
    if (isUnresolved(raw) || isUnresolved(type)) throw new Error(`unresolved type in ${anonymousKey}: add the lib it needs`);
    const scalar = scalarOf(type);
    if (scalar) return scalar;
    if (type.isUnion()) {
      const parts = [...new Set(type.types.map((part) => describe(part, anonymousKey)))];
      if (parts.length === 1) return parts[0]!;
      return parts.every((p) => ["string", "number", "boolean"].includes(p)) ? "scalar" : "any";
    }
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      return "[]" + describe(element!, anonymousKey + "[]");
    }
    const properties = checker.getPropertiesOfType(type);
    const stringIndex = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (properties.length === 0) {
      return stringIndex ? "{}" + describe(stringIndex.type, anonymousKey + "{}") : "any";
    }
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const declaration = symbol?.declarations?.[0];
    const named = symbol && symbol.flags & ts.SymbolFlags.Interface && declaration;
    const key = named ? typeKeyOf(declaration.getSourceFile().fileName) : anonymousKey;
    if (catalog.types[key]) return key;
    const fields: Record<string, string> = {};
    catalog.types[key] = fields;
    for (const property of properties) {
      const propertyType = checker.getTypeOfSymbol(property);
      fields[property.name] = describe(propertyType, `${key}.${property.name}`);
    }
    if (stringIndex) fields["*"] = describe(stringIndex.type, `${key}{}`);
    return key;
  };

  for (const file of files) {
    const source = program.getSourceFile(file)!;
    for (const statement of source.statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue;
      const type = checker.getTypeAtLocation(statement);
      const apiVersion = literalOf(checker, type, "apiVersion");
      const kind = literalOf(checker, type, "kind");
      if (!apiVersion || !kind || kind.endsWith("List")) continue;
      catalog.kinds[`${apiVersion}/${kind}`] = describe(type, typeKeyOf(file));
    }
  }
  return sortDeep(catalog) as FieldCatalog;
}

/** TypeScript's error type: what a reference to an undeclared name resolves to (not in the public API). */
function isUnresolved(type: ts.Type): boolean {
  return (type as ts.Type & { intrinsicName?: string }).intrinsicName === "error";
}

function literalOf(checker: ts.TypeChecker, type: ts.Type, name: string): string | undefined {
  const property = type.getProperty(name);
  if (!property) return undefined;
  const propertyType = checker.getTypeOfSymbol(property);
  return propertyType.isStringLiteral() ? propertyType.value : undefined;
}

function sortDeep(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortDeep((value as Record<string, unknown>)[key])]),
  );
}

export function serializeCatalog(catalog: FieldCatalog): string {
  return JSON.stringify(catalog, null, 0).replace(/\},"/g, '},\n"') + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const catalog = buildFieldCatalog();
  writeFileSync(catalogPath, serializeCatalog(catalog));
  console.log(
    `field catalog: ${Object.keys(catalog.kinds).length} kinds, ${Object.keys(catalog.types).length} types → ${relative(process.cwd(), catalogPath)}`,
  );
}
