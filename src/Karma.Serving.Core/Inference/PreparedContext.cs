namespace Karma.Serving.Core.Inference;

/// <summary>
/// A user context read for the user tower (<see cref="InterestEncoder.Prepare"/>): exactly what the tower consumes, so
/// equal values give equal embeddings (the interest cache is keyed by them).
/// </summary>
/// <param name="Rows">Table rows of the known history items, most recent last, capped at the model's limit.</param>
/// <param name="Query">The query's token ids in the model's own vocabulary, capped at the model's limit.</param>
/// <param name="TextTokens">
/// The query's input to the package's pretrained text encoder (WordPiece ids with [CLS] and [SEP]); null when the model
/// has no text encoder or the request has no query.
/// </param>
public sealed record PreparedContext(int[] Rows, int[] Query, int[]? TextTokens = null);
