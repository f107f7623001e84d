using System.Numerics.Tensors;
using Karma.Core.Package;

namespace Karma.Search.Hybrid;

/// <summary>
/// Computes the pre-ranker's features (<see cref="FeatureSet"/>) of candidate items for one request. The trainer
/// (on held-out requests) and the service (on every Search and PreRank) both call this class, so the features a
/// pre-ranker learned from are the features it is served. Thread-safe: it holds only immutable tables.
/// </summary>
public sealed class CandidateFeatures
{
    private readonly IRowVectors _embeddings;
    private readonly ItemAttributes _items;

    /// <summary>Creates the calculator over the package's item tables.</summary>
    public CandidateFeatures(FeatureSet features, IRowVectors embeddings, ItemAttributes items)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count != embeddings.Rows)
        {
            throw new ArgumentException($"{items.Count} item attributes for {embeddings.Rows} embeddings", nameof(items));
        }

        Set = features;
        _embeddings = embeddings;
        _items = items;
    }

    /// <summary>The features computed, in order.</summary>
    public FeatureSet Set { get; }

    /// <summary>Embedding width D.</summary>
    public int Dimensions => _embeddings.Cols;

    /// <summary>
    /// Gathers the candidates' embeddings into <paramref name="embeddings"/> ([C, D], the pre-ranker's candidate input)
    /// and writes their features into <paramref name="features"/> ([C, F]).
    /// </summary>
    public void Compute(RequestContext request, ReadOnlySpan<int> rows, Span<float> embeddings, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(request);
        int d = _embeddings.Cols, f = Set.Count, c = rows.Length;
        if (embeddings.Length != c * d || features.Length != c * f)
        {
            throw new ArgumentException($"{c} candidates need {c * d} embedding and {c * f} feature values; got {embeddings.Length} and {features.Length}");
        }

        _embeddings.Gather(rows, embeddings);
        int h = request.HistoryLeaves.Length;
        float maxBm25 = request.Lexical.MaxScore;
        float historyLength = (float)(Math.Log(1 + h) / 3);
        for (int i = 0; i < c; i++)
        {
            int row = rows[i];
            var e = embeddings.Slice(i * d, d);
            var output = features.Slice(i * f, f);
            int leaf = _items.Leaf[row], top = _items.Top[row];
            for (int j = 0; j < f; j++)
            {
                output[j] = Set.Features[j] switch
                {
                    Feature.KarmaScore => TensorPrimitives.Dot(request.Interest, e),
                    Feature.Bm25 => request.Lexical.ScoreOf(row) / 10f,
                    Feature.Bm25Relative => maxBm25 > 0 ? request.Lexical.ScoreOf(row) / maxBm25 : 0f,
                    Feature.QueryLeafShare => request.QueryLeafShare(leaf),
                    Feature.QueryTopShare => request.QueryTopShare(top),
                    Feature.KarmaLeafProbability => request.KarmaLeaf[leaf],
                    Feature.HistoryLeaf => LogCount(request.HistoryLeaves, leaf),
                    Feature.HistoryLeafRecency => request.HistoryLeaf[leaf],
                    Feature.HistoryTop => LogCount(request.HistoryTops, top),
                    Feature.HistoryLastLeaf => h > 0 && request.HistoryLeaves[h - 1] == leaf ? 1f : 0f,
                    Feature.HistoryMaxCosine => MaxDot(request.HistoryEmbeddings, e, h),
                    Feature.HistoryMeanCosine => h > 0 ? TensorPrimitives.Dot(request.MeanHistory, e) : 0f,
                    Feature.Popularity => _items.Popularity[row],
                    Feature.LeafPopularityRank => _items.LeafPopularityRank[row],
                    Feature.Exposure => _items.Exposure[row],
                    Feature.Price => _items.Price[row],
                    Feature.PriceGap => h > 0 ? MathF.Abs(_items.Price[row] - request.MeanHistoryPrice) : 0f,
                    Feature.HasQuery => request.HasQuery ? 1f : 0f,
                    Feature.HistoryLength => historyLength,
                    _ => throw new InvalidOperationException($"feature {Set.Features[j]} has no definition"),
                };
            }
        }
    }

    private static float LogCount(int[] categories, int category)
    {
        int n = 0;
        foreach (int x in categories)
        {
            n += x == category ? 1 : 0;
        }

        return MathF.Log(1 + n);
    }

    private static float MaxDot(float[] history, ReadOnlySpan<float> e, int h)
    {
        if (h == 0)
        {
            return 0f;
        }

        int d = e.Length;
        float best = float.NegativeInfinity;
        for (int i = 0; i < h; i++)
        {
            best = MathF.Max(best, TensorPrimitives.Dot(history.AsSpan(i * d, d), e));
        }

        return best;
    }
}
