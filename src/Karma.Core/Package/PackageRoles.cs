namespace Karma.Core.Package;

/// <summary>The role keys of a model package's graphs and tables in <c>manifest.json</c>: the one list the exporter, the verifier and the service share.</summary>
public static class PackageRoles
{
    /// <summary>The tokenizer file (the manifest's <c>tokenizer</c> section).</summary>
    public const string Tokenizer = "tokenizer";

    /// <summary>Graph: history tokens and query → interest embedding h_t.</summary>
    public const string UserTower = "user_tower";

    /// <summary>
    /// Graph (optional: a package imported from towers trained elsewhere may lack it): item features → history token
    /// and retrieval embedding.
    /// </summary>
    public const string ItemTower = "item_tower";

    /// <summary>Graph: interest, candidate embeddings and request–candidate features → scores.</summary>
    public const string PreRank = "prerank";

    /// <summary>
    /// Graph (optional: packages exported before it existed lack it): interest and the tokens decoded so far →
    /// next-token logits of L_rec's decoder; read by Explain only.
    /// </summary>
    public const string Decoder = "decoder";

    /// <summary>Table: unit retrieval embeddings [N, D].</summary>
    public const string Embeddings = "embeddings";

    /// <summary>Table: history tokens [N, d].</summary>
    public const string HistoryTokens = "history_tokens";

    /// <summary>Table: per-item statistics (popularity, price) [N, S].</summary>
    public const string ItemStatistics = "item_statistics";

    /// <summary>The item catalog (ids, categories, titles), JSON lines.</summary>
    public const string Catalog = "catalog";

    /// <summary>The BM25 index over the items' text.</summary>
    public const string Lexical = "lexical";

    /// <summary>Every graph role a package must have.</summary>
    public static IReadOnlyList<string> Graphs { get; } = [UserTower, PreRank];

    /// <summary>Graph roles a package may have; checked like the others when present.</summary>
    public static IReadOnlyList<string> OptionalGraphs { get; } = [ItemTower, Decoder];

    /// <summary>Every table role a package must have.</summary>
    public static IReadOnlyList<string> Tables { get; } = [Embeddings, HistoryTokens, ItemStatistics, Catalog, Lexical];
}
