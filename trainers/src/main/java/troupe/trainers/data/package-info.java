/**
 * Datasets read from JSON-lines files in the record shapes TRL uses: {@code prompt}+{@code completion} (SFT),
 * {@code prompt}+{@code chosen}+{@code rejected} (preferences), {@code prompt}+{@code completion}+{@code label}
 * (unpaired preferences, KTO) and {@code prompt}+{@code answer} (RL tasks). Extra fields are ignored, as TRL
 * ignores extra columns.
 *
 * <p>{@link troupe.trainers.data.JsonlRecords} streams a file once in order. {@link troupe.trainers.data.JsonlDataset}
 * indexes a file (8 bytes per record) so that it can be split into train and eval views
 * ({@link troupe.trainers.data.Split}) and walked in seeded, reshuffled epochs
 * ({@link troupe.trainers.data.EpochCursor}) without holding the records in memory. Errors name the file, the
 * line and the field: {@code prefs.jsonl:7: field "chosen" is missing (a preference record needs prompt, chosen,
 * rejected)}.
 */
package troupe.trainers.data;
