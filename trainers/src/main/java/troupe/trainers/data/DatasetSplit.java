package troupe.trainers.data;

/** The training and held-out views of one indexed file; disjoint, and together every record. */
public record DatasetSplit<R extends DataRecord>(DatasetView<R> train, DatasetView<R> eval) {}
