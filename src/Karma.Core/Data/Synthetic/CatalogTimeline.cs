namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The realistic catalog over time: per leaf and overall, the items by popularity among those that have
/// arrived (<see cref="TimedTable"/>), once with the cold items (for a user's final requests) and once
/// without; and which leaves are siblings (same top and sub-category, e.g. tshirt and hoodie under apparel/tops).
/// </summary>
internal sealed class CatalogTimeline
{
    private readonly TimedTable[] _leafWarm;
    private readonly TimedTable[] _leafAll;
    private readonly TimedTable _globalWarm;
    private readonly TimedTable _globalAll;
    private readonly int[] _subCategory;
    private readonly int[][] _siblings;

    public CatalogTimeline(Catalog catalog)
    {
        long[] arrival = catalog.Arrival ?? throw new ArgumentException("the catalog has no arrival times", nameof(catalog));
        var byLeaf = new List<int>[catalog.Leaves.Length];
        for (int l = 0; l < byLeaf.Length; l++)
        {
            byLeaf[l] = [];
        }

        for (int i = 0; i < catalog.Count; i++)
        {
            byLeaf[catalog.Leaf[i]].Add(i);
        }

        double[] weight = catalog.Popularity;
        _leafAll = byLeaf.Select(items => new TimedTable(items, arrival, weight)).ToArray();
        _leafWarm = byLeaf.Select(items => new TimedTable(items.Where(i => !catalog.Cold[i]), arrival, weight)).ToArray();
        var all = Enumerable.Range(0, catalog.Count);
        _globalAll = new TimedTable(all, arrival, weight);
        _globalWarm = new TimedTable(all.Where(i => !catalog.Cold[i]), arrival, weight);

        // Sub-category of a leaf = its path without the last segment.
        var subIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        _subCategory = catalog.Leaves.Select(l =>
        {
            string sub = l.Path[..l.Path.LastIndexOf('/')];
            if (!subIndex.TryGetValue(sub, out int s))
            {
                s = subIndex.Count;
                subIndex[sub] = s;
            }

            return s;
        }).ToArray();
        _siblings = Enumerable.Range(0, catalog.Leaves.Length)
            .Select(l => Enumerable.Range(0, catalog.Leaves.Length).Where(o => o != l && _subCategory[o] == _subCategory[l]).ToArray())
            .ToArray();
    }

    /// <summary>A leaf's items; cold ones only when <paramref name="withCold"/>.</summary>
    public TimedTable Leaf(int leaf, bool withCold) => withCold ? _leafAll[leaf] : _leafWarm[leaf];

    /// <summary>All items; cold ones only when <paramref name="withCold"/>.</summary>
    public TimedTable Global(bool withCold) => withCold ? _globalAll : _globalWarm;

    /// <summary>The other used leaves of a leaf's sub-category.</summary>
    public IReadOnlyList<int> Siblings(int leaf) => _siblings[leaf];

    /// <summary>True when two leaves share their sub-category (a leaf is its own sibling).</summary>
    public bool AreSiblings(int a, int b) => _subCategory[a] == _subCategory[b];
}
