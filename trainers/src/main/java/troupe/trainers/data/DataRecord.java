package troupe.trainers.data;

/**
 * One record of a JSON-lines dataset, in one of the shapes TRL uses. Every kind has a prompt; what follows the
 * prompt (a completion, a chosen/rejected pair, a labelled completion or an answer) depends on the kind.
 */
public sealed interface DataRecord permits SftRecord, PreferenceRecord, UnpairedRecord, TaskRecord {

  /** The text the model is conditioned on. */
  String prompt();
}
