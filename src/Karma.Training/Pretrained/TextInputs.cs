using Karma.Core.Data;
using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Pretrained;

/// <summary>
/// What a model with a frozen pretrained text encoder (<see cref="ModelConfig.TextEncoder"/>) reads from it: the
/// sentence embedding of every catalog item's text and of every query in the search log. They are computed once per
/// catalog and query list (about 20 s per 10,000 texts on 2 cores) and kept in <c>.text-embeddings/</c> beside the
/// data (<see cref="TextEmbeddingCache"/>); queries not in the log (new requests) are embedded when first seen.
/// The encoder is loaded only when something must be embedded; dispose the inputs when the run is done.
/// </summary>
public sealed class TextInputs : IDisposable
{
    /// <summary>Directory of the on-disk embedding cache under a data directory.</summary>
    public const string CacheDirectoryName = ".text-embeddings";

    private readonly Lazy<TextEmbedder> _embedder;
    private readonly Dictionary<string, float[]> _queries;
    private readonly Lock _gate = new();

    private TextInputs(Lazy<TextEmbedder> embedder, int dimensions, float[][] items, Dictionary<string, float[]> queries)
    {
        _embedder = embedder;
        Dimensions = dimensions;
        Items = items;
        _queries = queries;
    }

    /// <summary>Sentence embedding of each catalog item, in catalog order.</summary>
    public float[][] Items { get; }

    /// <summary>Width of the embeddings.</summary>
    public int Dimensions { get; }


    /// <summary>
    /// The inputs for <paramref name="config"/> over <paramref name="data"/> (loaded from <paramref name="dataDir"/>),
    /// or null when the model has no text encoder.
    /// </summary>
    public static TextInputs? For(ModelConfig config, SearchLog data, string dataDir, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        if (!config.HasTextEncoder)
        {
            return null;
        }

        var progress = log is null ? null : new Progress<string>(m => log.WriteLine("[text-encoder] " + m));
        // The encoder is loaded only when a cache file is missing or a query is new: runs over cached data skip it.
        var embedder = new Lazy<TextEmbedder>(() => PretrainedText.LoadMiniLm());
        string identity = TextEmbedder.IdentityOf(PretrainedText.MiniLmModelId, PretrainedText.MaxTokens);
        string cache = Path.Combine(dataDir, CacheDirectoryName);
        var items = TextEmbeddingCache.Embed(identity, config.TextDim, data.Items.Select(ItemInputs.SentenceText).ToList(), cache, () => embedder.Value, progress);
        var queries = data.Requests.Select(r => r.Query).Where(q => !string.IsNullOrWhiteSpace(q)).Select(q => q!)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var queryEmbeddings = TextEmbeddingCache.Embed(identity, config.TextDim, queries, cache, () => embedder.Value, progress);
        var byQuery = new Dictionary<string, float[]>(queries.Count, StringComparer.Ordinal);
        for (int i = 0; i < queries.Count; i++)
        {
            byQuery[queries[i]] = queryEmbeddings[i];
        }

        log?.WriteLine($"[text-encoder] {identity}: {items.Length} item texts and {queries.Count} queries ready");
        return new TextInputs(embedder, config.TextDim, items, byQuery);
    }

    /// <summary>The embedding of one query (zeros for none: the interest slot then gets nothing from the query).</summary>
    public float[] Query(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return new float[Dimensions];
        }

        lock (_gate)
        {
            if (!_queries.TryGetValue(query, out var e))
            {
                e = _embedder.Value.Embed([query])[0];
                _queries[query] = e;
            }

            return e;
        }
    }

    /// <summary>Query embeddings of a batch [B, text dim].</summary>
    public Tensor Queries(IEnumerable<string?> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var rows = queries.Select(Query).ToList();
        var flat = new float[rows.Count * Dimensions];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat, i * Dimensions);
        }

        return tensor(flat, [rows.Count, Dimensions]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_embedder.IsValueCreated)
        {
            _embedder.Value.Dispose();
        }
    }
}
