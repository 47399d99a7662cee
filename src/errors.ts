// placeholder, filled in by the error registry commit
export class VrrpdError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'VrrpdError';
  }
}
