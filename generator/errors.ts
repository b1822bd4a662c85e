// Errors a user can act on. The CLI prints their message (no stack trace) and exits with
// their code; anything else is a bug in the generator and keeps its stack.
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
