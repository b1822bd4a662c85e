// The little of jsdom the flow-graph test uses (test/environment-summary.test.ts); @types/jsdom
// would bring the DOM's global types into the whole project.
declare module "jsdom" {
  export class JSDOM {
    constructor(html?: string);
    readonly window: { document: unknown };
  }
}
