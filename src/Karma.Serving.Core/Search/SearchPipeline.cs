using System.Buffers;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Items;
using Karma.Serving.Core.Model;

namespace Karma.Serving.Core.Search;

/// <summary>A Search result: an item row, its pre-ranker score and the channels that recalled it.</summary>
public readonly record struct RankedItem(int Row, float Score, RecallChannels Channels);

/// <summary>
/// Why a candidate scores as it does: each recall channel's view of it (inner product with the interest, BM25 of the
/// query, probability of its leaf category under the request's intent) and the pre-ranker's logit.
/// </summary>
public readonly record struct ScoreParts(int Row, float Karma, float Lexical, float CategoryProbability, float PreRank);

/// <summary>
/// The hybrid Search path after encoding, without transport: recall by three channels — the KARMA embedding channel
/// (the vector index over h_t), the BM25 channel (the package's lexical index over the query) and the intent-category
/// channel (popular items of the categories the request is most likely for) — fused into one de-duplicated candidate
/// set (<see cref="HybridFusion"/>), then scored by the query-aware pre-ranker on the features
/// <see cref="CandidateFeatures"/> computes. The gRPC service and the offline evaluator both run this class, so an
/// offline figure is a figure of the served path. Thread-safe.
/// </summary>
public sealed class SearchPipeline
{
    private readonly ModelPackage _package;
    private readonly CandidateFeatures _features;

    private readonly PreRankScorer _scorer;

    /// <summary>Creates the pipeline over a loaded package and its vector index.</summary>
    public SearchPipeline(ModelPackage package, IVectorIndex index, ChannelQuotas quotas)
        : this(package, ServedItems.Of(package, index), quotas)
    {
    }

    /// <summary>Creates the pipeline over a package's items as they are served now.</summary>
    public SearchPipeline(ModelPackage package, ServedItems items, ChannelQuotas quotas)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(quotas);
        quotas.Validate();
        _package = package;
        Items = items;
        Quotas = quotas;
        _features = new CandidateFeatures(package.PreRankFeatures, items.Embeddings, items.Attributes);
        Centroids = new LeafCentroids(package.Embeddings, package.Attributes);
        _scorer = new PreRankScorer(package);
    }

    private SearchPipeline(SearchPipeline from, ServedItems items)
    {
        _package = from._package;
        Items = items;
        Quotas = from.Quotas;
        _features = new CandidateFeatures(_package.PreRankFeatures, items.Embeddings, items.Attributes);
        // The leaf centroids stay the package's: a few added items do not move a category's centre, and recomputing
        // them is a pass over the whole table.
        Centroids = from.Centroids;
        _scorer = from._scorer;
    }

    /// <summary>This pipeline over a later snapshot of the served items (the package-wide parts are shared).</summary>
    public SearchPipeline With(ServedItems items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new SearchPipeline(this, items);
    }

    /// <summary>The items this pipeline searches.</summary>
    public ServedItems Items { get; }

    /// <summary>The leaf categories' centroids over the item table (the embedding's reading of a request's category).</summary>
    public LeafCentroids Centroids { get; }

    /// <summary>The embedding channel's index.</summary>
    public IVectorIndex Index => Items.Index;

    /// <summary>Channel shares of a recall budget.</summary>
    public ChannelQuotas Quotas { get; }

    /// <summary>
    /// The query's BM25 matches over the whole catalog (empty without a query): computed once per request, they feed
    /// the lexical channel, the intent and the BM25 features. Dispose them when the request is done (pooled arrays).
    /// </summary>
    public LexicalMatches Match(string? query)
        => string.IsNullOrWhiteSpace(query) ? LexicalMatches.Empty : Items.Lexical.Match(query);

    /// <summary>One request's context for recall and pre-ranking.</summary>
    /// <param name="interest">The interest embedding h_t.</param>
    /// <param name="historyRows">The known history items' rows, most recent last.</param>
    /// <param name="query">The query (null or blank for browse).</param>
    /// <param name="matches">The query's matches (<see cref="Match"/>).</param>
    public RequestContext Context(float[] interest, IReadOnlyList<int> historyRows, string? query, LexicalMatches matches)
        => new(interest, historyRows, !string.IsNullOrWhiteSpace(query), matches, Items.Embeddings, Items.Attributes, Centroids);

    /// <summary>
    /// Every channel's best candidates for a budget of <paramref name="recallK"/> (each channel its share), fused;
    /// the filter applies inside each channel's search.
    /// </summary>
    public CandidateSet Recall(RequestContext request, int recallK, IRowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Each channel leaves out the removed rows itself.
        var karma = Quotas.KarmaCount(recallK) is > 0 and var kk ? KarmaChannel(request.Interest, kk, filter) : [];
        var lexical = Quotas.LexicalCount(recallK) is > 0 and var kl ? LexicalChannel(request.Lexical, kl, filter) : [];
        var category = Quotas.CategoryCount(recallK) is > 0 and var kc ? CategoryChannel(request, kc, filter) : [];
        return HybridFusion.Fuse(karma, lexical, category);
    }

    /// <summary>The embedding channel alone: the <paramref name="k"/> nearest items to the interest embedding.</summary>
    public List<ChannelHit> KarmaChannel(ReadOnlySpan<float> interest, int k, IRowFilter? filter = null)
        => Index.Search(interest, k, Items.Removed.Restrict(filter)).Select(h => new ChannelHit(h.Row, h.Score)).ToList();

    /// <summary>The BM25 channel alone: the <paramref name="k"/> best-matching items (none without a query).</summary>
    public List<ChannelHit> LexicalChannel(LexicalMatches matches, int k, IRowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(matches);
        filter = Items.Removed.Restrict(filter);
        Func<int, bool>? accept = filter is null ? null : filter.Accepts;
        return matches.Top(k, accept).Select(h => new ChannelHit(h.Row, h.Score)).ToList();
    }

    /// <summary>The intent-category channel alone: the most popular items of the request's likeliest categories.</summary>
    public List<ChannelHit> CategoryChannel(RequestContext request, int k, IRowFilter? filter = null)
    {
        filter = Items.Removed.Restrict(filter);
        return Karma.Search.Hybrid.CategoryChannel.Recall(request, Items.Attributes, k, filter is null ? null : filter.Accepts);
    }

    /// <summary>Pre-ranks fused candidates; returns the best <paramref name="topN"/> (ties: lower row first).</summary>
    public IReadOnlyList<RankedItem> Rank(RequestContext request, CandidateSet candidates, int topN)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        float[] scores = Score(request, candidates.Rows);
        return Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => candidates.Rows[i])
            .Take(topN)
            .Select(i => new RankedItem(candidates.Rows[i], scores[i], candidates.Channels[i]))
            .ToList();
    }

    /// <summary>The score parts of any rows for a request, in order (Explain).</summary>
    public IReadOnlyList<ScoreParts> Parts(RequestContext request, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(request);
        float[] preRank = Score(request, rows);
        var embedding = new float[Items.Embeddings.Cols];
        var parts = new ScoreParts[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            Items.Embeddings.CopyRow(row, embedding);
            parts[i] = new ScoreParts(row, System.Numerics.Tensors.TensorPrimitives.Dot(request.Interest, embedding),
                request.Lexical.ScoreOf(row), request.Intent[Items.Attributes.Leaf[row]], preRank[i]);
        }

        return parts;
    }

    /// <summary>Pre-ranker scores of any rows for a request, in order (the PreRank call, and Search's second stage).</summary>
    public float[] Score(RequestContext request, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(request);
        int c = rows.Length, d = _features.Dimensions, f = _features.Set.Count;
        if (c == 0)
        {
            return [];
        }

        // Pooled: 1,000 candidates of 64 floats are 256 KB, a large-object-heap allocation per request that drove a
        // gen-2 collection every ~1.2 s at 100 Search/s on the 1M-item table (p99 30-70 ms; docs/performance.md).
        float[] embeddings = ArrayPool<float>.Shared.Rent(c * d);
        float[] features = ArrayPool<float>.Shared.Rent(c * f);
        try
        {
            _features.Compute(request, rows, embeddings.AsSpan(0, c * d), features.AsSpan(0, c * f));
            return _scorer.Score(request.Interest, embeddings, features, c);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(embeddings);
            ArrayPool<float>.Shared.Return(features);
        }
    }
}
