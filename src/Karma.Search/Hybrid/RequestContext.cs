using System.Numerics.Tensors;
using Karma.Core.Package;
using Karma.Search.Lexical;

namespace Karma.Search.Hybrid;

/// <summary>
/// One request as hybrid recall and the pre-ranker see it, computed once: the interest embedding, the query's BM25
/// matches, the history's categories, embeddings and mean price, and the request's intent — which leaf categories it
/// is for — read three ways: lexically (the leaves of the query's best BM25 matches), by the embedding model
/// (<see cref="LeafCentroids"/>) and by the recent history. Immutable once built; the caller owns the matches.
/// </summary>
public sealed class RequestContext
{
    /// <summary>BM25 matches whose categories estimate the query's category.</summary>
    public const int QueryCategoryMatches = 20;

    /// <summary>Weight of each older history item relative to the next newer one in <see cref="HistoryLeaf"/>.</summary>
    public const double HistoryDecay = 0.8;

    private readonly Dictionary<int, float> _queryLeafShare = [];
    private readonly Dictionary<int, float> _queryTopShare = [];

    /// <summary>Prepares a request.</summary>
    /// <param name="interest">The interest embedding h_t (length D).</param>
    /// <param name="historyRows">Rows of the known history items, most recent last.</param>
    /// <param name="hasQuery">Whether the request has a non-blank query.</param>
    /// <param name="lexical">The query's BM25 matches (empty without a query).</param>
    /// <param name="embeddings">The item-embedding table.</param>
    /// <param name="items">Item attributes.</param>
    /// <param name="centroids">The leaf categories' embedding centroids.</param>
    public RequestContext(ReadOnlySpan<float> interest, IReadOnlyList<int> historyRows, bool hasQuery, LexicalMatches lexical,
        IRowVectors embeddings, ItemAttributes items, LeafCentroids centroids)
    {
        ArgumentNullException.ThrowIfNull(historyRows);
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(centroids);
        int d = embeddings.Cols;
        if (interest.Length != d)
        {
            throw new ArgumentException($"interest has {interest.Length} values, the item embeddings {d}", nameof(interest));
        }

        Interest = interest.ToArray();
        Lexical = lexical;
        HasQuery = hasQuery;
        int h = historyRows.Count;
        HistoryLeaves = new int[h];
        HistoryTops = new int[h];
        HistoryEmbeddings = new float[h * d];
        MeanHistory = new float[d];
        double price = 0;
        for (int i = 0; i < h; i++)
        {
            int row = historyRows[i];
            HistoryLeaves[i] = items.Leaf[row];
            HistoryTops[i] = items.Top[row];
            var e = HistoryEmbeddings.AsSpan(i * d, d);
            embeddings.CopyRow(row, e);
            TensorPrimitives.Add(MeanHistory, e, MeanHistory);
            price += items.Price[row];
        }

        float norm = TensorPrimitives.Norm(MeanHistory);
        if (norm > 0)
        {
            TensorPrimitives.Divide(MeanHistory, norm, MeanHistory);
        }

        MeanHistoryPrice = h > 0 ? (float)(price / h) : float.NaN;
        var best = lexical.Top(QueryCategoryMatches);
        double mass = best.Sum(b => (double)b.Score);
        if (mass > 0)
        {
            foreach (var b in best)
            {
                float share = (float)(b.Score / mass);
                _queryLeafShare[items.Leaf[b.Row]] = _queryLeafShare.GetValueOrDefault(items.Leaf[b.Row]) + share;
                _queryTopShare[items.Top[b.Row]] = _queryTopShare.GetValueOrDefault(items.Top[b.Row]) + share;
            }
        }

        KarmaLeaf = centroids.Distribution(Interest);
        HistoryLeaf = new float[KarmaLeaf.Length];
        double weight = 1, total = 0;
        for (int i = h - 1; i >= 0; i--, weight *= HistoryDecay)
        {
            HistoryLeaf[HistoryLeaves[i]] += (float)weight;
            total += weight;
        }

        for (int l = 0; total > 0 && l < HistoryLeaf.Length; l++)
        {
            HistoryLeaf[l] = (float)(HistoryLeaf[l] / total);
        }

        // The intent: with a matching query, the lexical and the embedding readings averaged; without one (browse), the
        // embedding's and the recent history's, since a browse request continues what the user was doing.
        Intent = new float[KarmaLeaf.Length];
        for (int l = 0; l < Intent.Length; l++)
        {
            Intent[l] = mass > 0 ? 0.5f * (KarmaLeaf[l] + _queryLeafShare.GetValueOrDefault(l))
                : total > 0 ? 0.5f * (KarmaLeaf[l] + HistoryLeaf[l])
                : KarmaLeaf[l];
        }
    }

    /// <summary>h_t.</summary>
    public float[] Interest { get; }

    /// <summary>The query's BM25 matches.</summary>
    public LexicalMatches Lexical { get; }

    /// <summary>Whether the request has a query.</summary>
    public bool HasQuery { get; }

    /// <summary>Leaf category of each history item.</summary>
    public int[] HistoryLeaves { get; }

    /// <summary>Top category of each history item.</summary>
    public int[] HistoryTops { get; }

    /// <summary>History item embeddings, row-major [history, D].</summary>
    public float[] HistoryEmbeddings { get; }

    /// <summary>Normalised mean of the history embeddings (zeros without history).</summary>
    public float[] MeanHistory { get; }

    /// <summary>Mean price column of the history items (NaN without history).</summary>
    public float MeanHistoryPrice { get; }

    /// <summary>The embedding model's probability of each leaf category (softmax over the leaf centroids).</summary>
    public float[] KarmaLeaf { get; }

    /// <summary>The history's reading: leaf categories of the history items, the newest weighing most (0.8 per step back), summing to 1.</summary>
    public float[] HistoryLeaf { get; }

    /// <summary>Probability of each leaf category being what the request is for (see the constructor for how the readings combine).</summary>
    public float[] Intent { get; }

    /// <summary>The lexical reading: share of the query's best BM25 mass by leaf category (empty when nothing matched).</summary>
    public IReadOnlyDictionary<int, float> QueryLeafShares => _queryLeafShare;

    /// <summary>Share of the query's best BM25 mass in a leaf category (0 when none).</summary>
    public float QueryLeafShare(int leaf) => _queryLeafShare.GetValueOrDefault(leaf);

    /// <summary>Share of the query's best BM25 mass in a top category (0 when none).</summary>
    public float QueryTopShare(int top) => _queryTopShare.GetValueOrDefault(top);
}
