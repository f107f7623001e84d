using Karma.Core.Package;

namespace Karma.Serving.Core.Indexing;

/// <summary>
/// A request's filter over the catalog: categories to include or exclude (by path prefix at '/' boundaries,
/// so "apparel" matches "apparel/shoes/running" but not "apparel-outlet") and item ids to exclude. Category
/// decisions are precomputed per distinct category, so <see cref="Accepts"/> is two array reads and a set
/// lookup.
/// </summary>
public sealed class CatalogRowFilter : IRowFilter
{
    private readonly int[] _categoryOfRow;
    private readonly bool[] _categoryAccepted;
    private readonly HashSet<int> _excludedRows;

    private CatalogRowFilter(int[] categoryOfRow, bool[] categoryAccepted, HashSet<int> excludedRows)
    {
        _categoryOfRow = categoryOfRow;
        _categoryAccepted = categoryAccepted;
        _excludedRows = excludedRows;
    }

    /// <summary>Item ids of the exclusion list that are not in the catalog (ignored, reported to the caller).</summary>
    public int UnknownExcludedIds { get; private init; }

    /// <inheritdoc />
    public bool Accepts(int row) => _categoryAccepted[_categoryOfRow[row]] && !_excludedRows.Contains(row);

    /// <summary>Builds the filter; returns null when it would accept every row (searches then skip filtering).</summary>
    public static CatalogRowFilter? Create(CatalogCategories categories, IReadOnlyList<string> include, IReadOnlyList<string> exclude,
        IReadOnlyList<string> excludeItemIds, ItemCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        ArgumentNullException.ThrowIfNull(excludeItemIds);
        ArgumentNullException.ThrowIfNull(catalog);
        if (include.Count == 0 && exclude.Count == 0 && excludeItemIds.Count == 0)
        {
            return null;
        }

        // Each path is checked against the filter's prefixes through a set of its own '/'-boundary prefixes:
        // O(categories × depth + entries) instead of O(categories × entries), which a request of 5,000 include
        // entries over a catalog of thousands of categories would turn into millions of string comparisons.
        var included = PrefixSet(include);
        var excluded = PrefixSet(exclude);
        var accepted = new bool[categories.Paths.Count];
        for (int c = 0; c < accepted.Length; c++)
        {
            string path = categories.Paths[c];
            accepted[c] = (include.Count == 0 || HasPrefixIn(path, included)) && !HasPrefixIn(path, excluded);
        }

        var rows = new HashSet<int>();
        int unknown = 0;
        foreach (string id in excludeItemIds)
        {
            if (catalog.IndexOf.TryGetValue(id, out int row))
            {
                rows.Add(row);
            }
            else
            {
                unknown++;
            }
        }

        return new CatalogRowFilter(categories.CategoryOfRow, accepted, rows) { UnknownExcludedIds = unknown };
    }

    private static HashSet<string> PrefixSet(IReadOnlyList<string> prefixes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string prefix in prefixes)
        {
            string p = prefix.TrimEnd('/');
            if (p.Length > 0)
            {
                set.Add(p);
            }
        }

        return set;
    }

    /// <summary>True when some prefix of <paramref name="path"/> ending at a '/' boundary (or the whole path) is in the set.</summary>
    private static bool HasPrefixIn(string path, HashSet<string> prefixes)
    {
        if (prefixes.Count == 0)
        {
            return false;
        }

        var lookup = prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int end = path.IndexOf('/', StringComparison.Ordinal); end >= 0; end = path.IndexOf('/', end + 1))
        {
            if (lookup.Contains(path.AsSpan(0, end)))
            {
                return true;
            }
        }

        return lookup.Contains(path);
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="prefix"/> or continues it after a '/'.</summary>
    public static bool Matches(string path, string prefix)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(prefix);
        string p = prefix.TrimEnd('/');
        return p.Length > 0 && path.StartsWith(p, StringComparison.Ordinal) && (path.Length == p.Length || path[p.Length] == '/');
    }
}

/// <summary>The catalog's distinct category paths and each row's category number, computed once per model.</summary>
public sealed class CatalogCategories
{
    /// <summary>Indexes the catalog's categories.</summary>
    public CatalogCategories(ItemCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new List<string>();
        CategoryOfRow = new int[catalog.Count];
        for (int r = 0; r < catalog.Count; r++)
        {
            string c = catalog.Categories[r];
            if (!ids.TryGetValue(c, out int id))
            {
                id = paths.Count;
                ids[c] = id;
                paths.Add(c);
            }

            CategoryOfRow[r] = id;
        }

        Paths = paths;
        _ids = ids;
    }

    private readonly Dictionary<string, int> _ids;

    private CatalogCategories(IReadOnlyList<string> paths, Dictionary<string, int> ids, int[] categoryOfRow)
    {
        Paths = paths;
        _ids = ids;
        CategoryOfRow = categoryOfRow;
    }

    /// <summary>These categories with rows appended; each added row's category must be one of <see cref="Paths"/>.</summary>
    /// <exception cref="ArgumentException">An added category is not one of <see cref="Paths"/>.</exception>
    public CatalogCategories With(IReadOnlyList<string> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        if (added.Count == 0)
        {
            return this;
        }

        var rows = new int[CategoryOfRow.Length + added.Count];
        CategoryOfRow.CopyTo(rows, 0);
        for (int i = 0; i < added.Count; i++)
        {
            rows[CategoryOfRow.Length + i] = _ids.TryGetValue(added[i], out int id) ? id
                : throw new ArgumentException($"category '{added[i]}' is not one of the catalog's {Paths.Count} categories", nameof(added));
        }

        return new CatalogCategories(Paths, _ids, rows);
    }

    /// <summary>Distinct category paths.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Category number of each row.</summary>
    public int[] CategoryOfRow { get; }
}
