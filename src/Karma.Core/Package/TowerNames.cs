namespace Karma.Core.Package;

/// <summary>Input and output names of the exported graphs: the contract with the service (docs/package-format.md).</summary>
public static class TowerNames
{
    /// <summary>User tower inputs: token ids with [ITEM] at history slots [B, T] int64; history tokens at those slots (zeros elsewhere) [B, T, d]; position of [INT] [B] int64.</summary>
    public const string InputIds = "input_ids", HistoryTokens = "history_tokens", InterestPosition = "interest_position";

    /// <summary>
    /// User tower input of a model with a pretrained text encoder: the query's sentence embedding [B, text dim] (zeros
    /// for a request without a query), added to the [INT] position through a learned projection.
    /// </summary>
    public const string QueryEmbedding = "query_embedding";

    /// <summary>Item tower input of a model with a pretrained text encoder: the item text's sentence embedding [N, text dim].</summary>
    public const string ItemTextEmbedding = "item_text_embedding";

    /// <summary>User tower output: unit next-interest embedding [B, D].</summary>
    public const string Interest = "interest";

    /// <summary>Item tower inputs: text token ids [N, L] int64, text mask [N, L] float, raw image feature [N, I], hashed id bucket [N] int64.</summary>
    public const string ItemTextIds = "item_text_ids", ItemTextMask = "item_text_mask", ItemImage = "item_image", ItemIdBucket = "item_id_bucket";

    /// <summary>Item tower outputs: history token [N, d] and unit retrieval embedding [N, D].</summary>
    public const string HistoryToken = "history_token", Embedding = "embedding";

    /// <summary>Pre-ranker inputs: interest embedding [B, D], candidate embeddings [B, C, D], request–candidate features [B, C, F].</summary>
    public const string User = "user", Candidates = "candidates", Features = "features";

    /// <summary>Pre-ranker output: logits [B, C] (higher = more likely the engaged item).</summary>
    public const string Scores = "scores";

    /// <summary>
    /// Decoder inputs: the interest embedding [B, D] (<see cref="Interest"/>) and the tokens decoded so far [B, L] int64,
    /// L ≥ 1, whose first column is a placeholder the graph replaces with the interest's prefix token.
    /// </summary>
    public const string DecoderIds = "decoder_ids";

    /// <summary>Decoder output: next-token logits after the last position [B, V].</summary>
    public const string NextTokenLogits = "next_token_logits";
}
