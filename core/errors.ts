// Errors a user can act on. The CLI prints their message (no stack trace) and exits with
// their code; anything else is a bug in the generator and keeps its stack.
import { types } from "node:util";

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Bad environment settings: the user's file is wrong (exit 2). */
export class SettingsError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = "SettingsError";
  }
}

/** A generated object is invalid: the generator (or an app module) is wrong (exit 1). */
export class ObjectValidationError extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = "ObjectValidationError";
  }
}

/**
 * An error of any realm (types.isNativeError: Node's own modules throw from another realm when
 * this code runs in a VM context), or an object that inherits from this realm's Error without
 * being built by its constructor (js-yaml's YAMLException, protobufjs's errors).
 */
export function isError(value: unknown): value is Error {
  return types.isNativeError(value) || value instanceof Error;
}

/**
 * The exit code for an error a CLI caught: a UserError, a bad option or an error of the file
 * system is printed as one line (no stack trace); anything else is a bug and is re-thrown with its stack.
 */
export function reportError(command: string, usage: string, error: unknown): number {
  if (error instanceof UserError) {
    console.error(`${command}: ${error.message}`);
    return error.exitCode;
  }
  if (isError(error) && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`${command}: ${error.message}\n${usage}`);
    return 2;
  }
  // The file system refused (permissions, a full disk): the message names the call and the path.
  const system = error as NodeJS.ErrnoException;
  if (isError(error) && typeof system.code === "string" && typeof system.syscall === "string") {
    console.error(`${command}: ${error.message}`);
    return 1;
  }
  throw error;
}
