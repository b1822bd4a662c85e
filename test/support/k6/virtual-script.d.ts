// The k6 script as the VU bundle imports it (test/support/k6/runner.ts resolves this name to the shipped text).
declare module "virtual:k6-script" {
  export const options: unknown;
  export const setup: (() => unknown) | undefined;
  export default function iteration(data: unknown): void;
}
