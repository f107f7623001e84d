using Karma.Core.Data;
using Karma.Search.Lexical;

namespace Karma.Evaluation.Systems;

/// <summary>
/// What the baselines know, built from the evaluation data alone: training-period popularity (engagements of the
/// training split), each item's category, and a BM25 index over the items' text (the same schema as the packages'
/// lexical channel). Nothing here is learned from a held-out request.
/// </summary>
public sealed class CatalogStatistics : IDisposable
{
    /// <summary>Builds the statistics of a log and its split.</summary>
    public CatalogStatistics(SearchLog log, TemporalSplit split)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(split);
        int n = log.Items.Count;
        Popularity = split.TrainClicks.Select(c => (float)c).ToArray();
        var leaves = new Dictionary<string, int>(StringComparer.Ordinal);
        Leaf = new int[n];
        for (int i = 0; i < n; i++)
        {
            string category = log.Items[i].Category;
            if (!leaves.TryGetValue(category, out int id))
            {
                id = leaves.Count;
                leaves[category] = id;
            }

            Leaf[i] = id;
        }

        LeafCount = leaves.Count;
        ByPopularity = Enumerable.Range(0, n).OrderByDescending(i => Popularity[i]).ThenBy(i => i).ToArray();
        Lexical = LexicalIndex.InMemory(log.Items.Select(LexicalDocument.From));
    }

    /// <summary>Training-period engagements per item.</summary>
    public float[] Popularity { get; }

    /// <summary>Category number of each item.</summary>
    public int[] Leaf { get; }

    /// <summary>Distinct categories.</summary>
    public int LeafCount { get; }

    /// <summary>Every item, most popular first (ties: lower row).</summary>
    public int[] ByPopularity { get; }

    /// <summary>BM25 over the items' title, category, brand and description.</summary>
    public LexicalIndex Lexical { get; }

    /// <summary>Appends popular items not yet in <paramref name="ranked"/> until it holds <paramref name="depth"/>.</summary>
    public int[] FillByPopularity(List<int> ranked, int depth)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        if (ranked.Count >= depth)
        {
            return ranked.Take(depth).ToArray();
        }

        var seen = new HashSet<int>(ranked);
        foreach (int row in ByPopularity)
        {
            if (ranked.Count >= depth)
            {
                break;
            }

            if (seen.Add(row))
            {
                ranked.Add(row);
            }
        }

        return ranked.ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => Lexical.Dispose();
}
