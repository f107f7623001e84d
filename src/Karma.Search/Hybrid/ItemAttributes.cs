namespace Karma.Search.Hybrid;

/// <summary>
/// What hybrid recall and the pre-ranker's features need to know about every item, held in memory by row: leaf
/// category (the full category path) and top category (its first segment) as small integers, the item-statistics
/// columns (<see cref="ItemStatistics"/>), and each leaf's items by popularity. Immutable; safe to share between threads.
/// </summary>
public sealed class ItemAttributes
{
    /// <summary>Builds the attributes from each row's category path and its statistics row (<see cref="ItemStatistics.Columns"/>).</summary>
    /// <param name="categories">Category path per row, e.g. <c>footwear/athletic/sneaker</c>.</param>
    /// <param name="statistics">Row-major [rows, <see cref="ItemStatistics.Count"/>] values.</param>
    public ItemAttributes(IReadOnlyList<string> categories, ReadOnlySpan<float> statistics)
    {
        ArgumentNullException.ThrowIfNull(categories);
        int n = categories.Count;
        if (statistics.Length != (long)n * ItemStatistics.Count)
        {
            throw new ArgumentException(
                $"statistics has {statistics.Length} values; {n} rows need {(long)n * ItemStatistics.Count}", nameof(statistics));
        }

        Leaf = new int[n];
        Top = new int[n];
        Popularity = new float[n];
        Price = new float[n];
        Exposure = new float[n];
        var leaves = new Dictionary<string, int>(StringComparer.Ordinal);
        var tops = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < n; r++)
        {
            string path = categories[r] ?? string.Empty;
            int slash = path.IndexOf('/', StringComparison.Ordinal);
            string top = slash < 0 ? path : path[..slash];
            Leaf[r] = Id(leaves, path);
            Top[r] = Id(tops, top);
            Popularity[r] = statistics[(r * ItemStatistics.Count) + ItemStatistics.PopularityColumn];
            Price[r] = statistics[(r * ItemStatistics.Count) + ItemStatistics.PriceColumn];
            Exposure[r] = statistics[(r * ItemStatistics.Count) + ItemStatistics.ExposureColumn];
        }

        LeafCount = leaves.Count;
        var byLeaf = Enumerable.Range(0, LeafCount).Select(_ => new List<int>()).ToArray();
        for (int r = 0; r < n; r++)
        {
            byLeaf[Leaf[r]].Add(r);
        }

        ByLeafPopularity = byLeaf.Select(rows => rows.OrderByDescending(r => Popularity[r]).ThenBy(r => r).ToArray()).ToArray();
        LeafPopularityRank = new float[n];
        foreach (int[] rows in ByLeafPopularity)
        {
            for (int rank = 0; rank < rows.Length; rank++)
            {
                LeafPopularityRank[rows[rank]] = MathF.Log(1 + rank) / 5;
            }
        }
    }

    /// <summary>Rows.</summary>
    public int Count => Leaf.Length;

    /// <summary>Leaf category number of each row. Do not modify.</summary>
    public int[] Leaf { get; }

    /// <summary>Top category number of each row. Do not modify.</summary>
    public int[] Top { get; }

    /// <summary>Popularity column of each row. Do not modify.</summary>
    public float[] Popularity { get; }

    /// <summary>Price column of each row. Do not modify.</summary>
    public float[] Price { get; }

    /// <summary>Exposure (training impressions) column of each row. Do not modify.</summary>
    public float[] Exposure { get; }

    /// <summary>Each leaf category's rows, most popular first (ties: lower row). Do not modify.</summary>
    public int[][] ByLeafPopularity { get; }

    /// <summary>log(1 + the row's popularity rank within its leaf category) / 5: 0 for the leaf's most popular item. Do not modify.</summary>
    public float[] LeafPopularityRank { get; }

    /// <summary>Distinct leaf categories.</summary>
    public int LeafCount { get; }

    private static int Id(Dictionary<string, int> ids, string key)
    {
        if (!ids.TryGetValue(key, out int id))
        {
            id = ids.Count;
            ids[key] = id;
        }

        return id;
    }
}
