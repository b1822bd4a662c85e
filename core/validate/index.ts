// Validation of one object: kubernetes-models' schema check (types, required fields, enums)
// followed by the strict pass (unknown fields, names, ports, scope).
import type { ErrorObject } from "ajv";
import { byPath, strictProblems, type Problem } from "./strict";

export type { Problem } from "./strict";

interface Validatable {
  validate(): void;
}

function schemaProblems(model: Validatable): Problem[] {
  try {
    model.validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!errors) throw error;
    return errors.map((e) => ({ path: e.instancePath, message: `${e.message ?? "is invalid"}${paramsHint(e)}` }));
  }
}

function paramsHint(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) return ` (${params.allowedValues.join(", ")})`;
  return "";
}

/** Every problem of a generated object, by path (whatever order the object was built in); an empty list means it is valid. */
export function validateModel(model: Validatable, json: Record<string, unknown>): Problem[] {
  const found = [...schemaProblems(model), ...strictProblems(json)];
  const seen = new Set<string>();
  const unique = found.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return byPath(unique);
}
