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
        _leaves = leaves;
        _tops = tops;
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

    private readonly Dictionary<string, int> _leaves;
    private readonly Dictionary<string, int> _tops;

    private ItemAttributes(ItemAttributes from, int[] leaf, int[] top, float[] popularity, float[] price, float[] exposure, int[][] byLeaf, float[] rank)
    {
        _leaves = from._leaves;
        _tops = from._tops;
        LeafCount = from.LeafCount;
        Leaf = leaf;
        Top = top;
        Popularity = popularity;
        Price = price;
        Exposure = exposure;
        ByLeafPopularity = byLeaf;
        LeafPopularityRank = rank;
    }

    /// <summary>Rows.</summary>
    public int Count => Leaf.Length;

    /// <summary>True when <paramref name="category"/> is one of the leaf categories (the full paths) these attributes know.</summary>
    public bool HasLeaf(string category) => _leaves.ContainsKey(category ?? string.Empty);

    /// <summary>
    /// These attributes with rows appended (items added to a served catalog). An added row's category must be a known
    /// leaf: the pre-ranker's category features and the intent are defined over the package's leaves. Costs a copy of
    /// the row arrays and a re-sort of the leaves that gained rows.
    /// </summary>
    /// <param name="categories">Category path of each added row.</param>
    /// <param name="statistics">Their statistics rows, row-major [added, <see cref="ItemStatistics.Count"/>].</param>
    /// <exception cref="ArgumentException">A category is not a known leaf, or the statistics do not match.</exception>
    public ItemAttributes With(IReadOnlyList<string> categories, ReadOnlySpan<float> statistics)
    {
        ArgumentNullException.ThrowIfNull(categories);
        int n = Count, m = categories.Count;
        if (statistics.Length != (long)m * ItemStatistics.Count)
        {
            throw new ArgumentException($"statistics has {statistics.Length} values; {m} rows need {(long)m * ItemStatistics.Count}", nameof(statistics));
        }

        if (m == 0)
        {
            return this; // immutable: nothing to copy
        }

        int[] leaf = [.. Leaf, .. new int[m]], top = [.. Top, .. new int[m]];
        float[] popularity = [.. Popularity, .. new float[m]], price = [.. Price, .. new float[m]], exposure = [.. Exposure, .. new float[m]];
        float[] rank = [.. LeafPopularityRank, .. new float[m]];
        var grown = new Dictionary<int, List<int>>();
        for (int i = 0; i < m; i++)
        {
            string path = categories[i] ?? string.Empty;
            if (!_leaves.TryGetValue(path, out int l))
            {
                throw new ArgumentException($"category '{path}' is not one of the model's {LeafCount} leaf categories", nameof(categories));
            }

            int slash = path.IndexOf('/', StringComparison.Ordinal);
            int r = n + i;
            leaf[r] = l;
            top[r] = _tops[slash < 0 ? path : path[..slash]];
            popularity[r] = statistics[(i * ItemStatistics.Count) + ItemStatistics.PopularityColumn];
            price[r] = statistics[(i * ItemStatistics.Count) + ItemStatistics.PriceColumn];
            exposure[r] = statistics[(i * ItemStatistics.Count) + ItemStatistics.ExposureColumn];
            if (!grown.TryGetValue(l, out var rows))
            {
                grown[l] = rows = [];
            }

            rows.Add(r);
        }

        var byLeaf = (int[][])ByLeafPopularity.Clone();
        foreach (var (l, rows) in grown)
        {
            // A merge, not a sort: the leaf's list is already in order, and an added item (no clicks, popularity 0) goes
            // after every row of equal popularity (its row is the highest), so usually at the end and no existing rank moves.
            // Sorting the whole leaf per change was two thirds of an upsert's time on a 1M-item catalog.
            rows.Sort((a, b) => popularity[a] != popularity[b] ? popularity[b].CompareTo(popularity[a]) : a.CompareTo(b));
            int[] old = byLeaf[l];
            var merged = new int[old.Length + rows.Count];
            int i = 0, j = 0, k = 0, firstMoved = -1;
            while (i < old.Length || j < rows.Count)
            {
                bool takeNew = j < rows.Count && (i == old.Length || popularity[rows[j]] > popularity[old[i]]
                    || (popularity[rows[j]] == popularity[old[i]] && rows[j] < old[i]));
                if (takeNew && firstMoved < 0)
                {
                    firstMoved = k;
                }

                merged[k++] = takeNew ? rows[j++] : old[i++];
            }

            byLeaf[l] = merged;
            for (int r = Math.Max(0, firstMoved); r < merged.Length; r++)
            {
                rank[merged[r]] = MathF.Log(1 + r) / 5;
            }
        }

        return new ItemAttributes(this, leaf, top, popularity, price, exposure, byLeaf, rank);
    }

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
