// Which caught values are errors. Node's own modules (net, fs) may throw from another realm (a
// VM context runs this code under test), where `instanceof Error` is false: types.isNativeError
// recognises an error of any realm. Some libraries build errors without Error's constructor
// (js-yaml's YAMLException, protobufjs's ProtocolError): not native, but instances of Error.
import { types } from "node:util";

/** True for an error of any realm, or an object that inherits from this realm's Error. */
export function isError(value: unknown): value is Error {
  return types.isNativeError(value) || value instanceof Error;
}

/** An AggregateError (or one like it) of any realm: an error that carries the errors it stands for. */
export function isAggregateError(value: unknown): value is Error & { errors: unknown[] } {
  return isError(value) && Array.isArray((value as { errors?: unknown }).errors);
}
