/**
 * Error raised by the model importers (safetensors, ...) when an input file is
 * malformed. The message always starts with the file name, then (when known)
 * the tensor name, then the reason, e.g.
 *
 *   model.safetensors: tensor 'features.0.0.weight': data_offsets [0, 999999]
 *   run past the end of the file (1234 bytes)
 */
export class ModelFormatError extends Error {
  /** File name (or label) given to the importer. */
  readonly file: string;
  /** Offending tensor / entry name, when the problem is specific to one. */
  readonly tensor?: string;
  /** The reason alone, without the file / tensor prefix. */
  readonly reason: string;

  constructor(file: string, reason: string, tensor?: string) {
    super(
      tensor === undefined
        ? `${file}: ${reason}`
        : `${file}: tensor '${tensor}': ${reason}`,
    );
    this.name = 'ModelFormatError';
    this.file = file;
    this.reason = reason;
    if (tensor !== undefined) this.tensor = tensor;
  }
}
