using System.Numerics.Tensors;
using Karma.Core.Package;
using Karma.Search.Lexical;

namespace Karma.Search.Hybrid;

/// <summary>
/// What the features of one request share across its candidates, computed once: the interest embedding, the
/// history's categories, embeddings and mean price, and the query's category shares from its best BM25 matches.
/// </summary>
public sealed class RequestFeatures
{
    /// <summary>BM25 matches whose categories estimate the query's category.</summary>
    public const int QueryCategoryMatches = 20;

    private readonly Dictionary<int, float> _queryLeafShare = [];
    private readonly Dictionary<int, float> _queryTopShare = [];

    /// <summary>Prepares a request.</summary>
    /// <param name="interest">The interest embedding h_t (length D).</param>
    /// <param name="historyRows">Rows of the known history items, most recent last.</param>
    /// <param name="hasQuery">Whether the request has a non-blank query.</param>
    /// <param name="lexical">The query's BM25 matches (empty without a query).</param>
    /// <param name="embeddings">The item-embedding table.</param>
    /// <param name="items">Item attributes.</param>
    public RequestFeatures(ReadOnlySpan<float> interest, IReadOnlyList<int> historyRows, bool hasQuery, LexicalMatches lexical,
        VectorTable embeddings, ItemAttributes items)
    {
        ArgumentNullException.ThrowIfNull(historyRows);
        ArgumentNullException.ThrowIfNull(lexical);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(items);
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

    /// <summary>Share of the query's best BM25 mass in a leaf category (0 when none).</summary>
    public float QueryLeafShare(int leaf) => _queryLeafShare.GetValueOrDefault(leaf);

    /// <summary>Share of the query's best BM25 mass in a top category (0 when none).</summary>
    public float QueryTopShare(int top) => _queryTopShare.GetValueOrDefault(top);
}
