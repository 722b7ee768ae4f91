/** A user-facing error: its message is one clear sentence, shown without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: string = 'bad-input',
  ) {
    super(message);
    this.name = 'UserError';
  }
}
