// Types for a transitive dependency that ships none (used by test/bundle.test.ts).
declare module "ajv-formats-draft2019/formats/index.js" {
  const formats: Record<string, unknown>;
  export default formats;
}
