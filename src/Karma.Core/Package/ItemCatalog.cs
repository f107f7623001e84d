namespace Karma.Core.Package;

/// <summary>One line of the item catalog: the metadata the service filters on, for one table row.</summary>
/// <param name="ItemId">The item's id; unique and non-blank.</param>
/// <param name="Category">The item's category path (e.g. <c>apparel/shoes</c>); non-blank.</param>
/// <param name="Title">Optional display title.</param>
public sealed record ItemCatalogEntry(string ItemId, string Category, string? Title = null);

/// <summary>
/// The item catalog of a model package, in item-table row order: row <c>i</c> of every vector table is
/// item <c>Ids[i]</c>. Immutable once built, so safe to share between threads.
/// </summary>
public sealed class ItemCatalog
{
    private readonly IReadOnlyDictionary<string, int> _indexOf;

    internal ItemCatalog(string[] ids, string[] categories, string?[] titles, IReadOnlyDictionary<string, int> indexOf)
    {
        Ids = ids;
        Categories = categories;
        Titles = titles;
        _indexOf = indexOf;
    }

    /// <summary>A catalog from entries in row order (e.g. pages a service listed).</summary>
    /// <param name="entries">The items, row order.</param>
    /// <param name="source">Where the entries came from, for error messages.</param>
    /// <exception cref="InvalidDataException">An id or category is blank, or an id repeats; the message names the source and the row.</exception>
    public static ItemCatalog FromEntries(IEnumerable<ItemCatalogEntry> entries, string source)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ids = new List<string>();
        var categories = new List<string>();
        var titles = new List<string?>();
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (string.IsNullOrWhiteSpace(entry.ItemId) || string.IsNullOrWhiteSpace(entry.Category))
            {
                throw new InvalidDataException($"{source}: row {ids.Count}: blank item_id or category");
            }

            if (!indexOf.TryAdd(entry.ItemId, ids.Count))
            {
                throw new InvalidDataException($"{source}: row {ids.Count}: duplicate item_id '{entry.ItemId}' (first at row {indexOf[entry.ItemId]})");
            }

            ids.Add(entry.ItemId);
            categories.Add(entry.Category);
            titles.Add(string.IsNullOrEmpty(entry.Title) ? null : entry.Title);
        }

        return new ItemCatalog([.. ids], [.. categories], [.. titles], indexOf);
    }

    /// <summary>Item ids by row. Do not modify.</summary>
    public string[] Ids { get; }

    /// <summary>Categories by row. Do not modify.</summary>
    public string[] Categories { get; }

    /// <summary>Titles by row; <see langword="null"/> where the catalog has none. Do not modify.</summary>
    public string?[] Titles { get; }

    /// <summary>Row of each item id.</summary>
    public IReadOnlyDictionary<string, int> IndexOf => _indexOf;

    /// <summary>Number of items (rows).</summary>
    public int Count => Ids.Length;

    /// <summary>The row of <paramref name="itemId"/>, or -1 when the catalog does not hold it.</summary>
    public int RowOf(string itemId) => _indexOf.TryGetValue(itemId, out int row) ? row : -1;

    /// <summary>
    /// This catalog with <paramref name="added"/> appended as new rows (an id already held moves to its new row; the old
    /// row stays in the arrays but no id maps to it) and <paramref name="removed"/> ids no longer held. Costs a copy
    /// of the row arrays and of the changes made since the package (never of the package's id index), so a catalog
    /// changed many times in small steps stays cheap to change.
    /// </summary>
    /// <exception cref="ArgumentException">An added entry has a blank id or category, or an id repeats among the added.</exception>
    public ItemCatalog With(IReadOnlyList<ItemCatalogEntry> added, IReadOnlyCollection<string> removed)
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        var (root, changes) = _indexOf is ChangedIndex c ? (c.Root, new Dictionary<string, int>(c.Changes, StringComparer.Ordinal))
            : (_indexOf, new Dictionary<string, int>(StringComparer.Ordinal));
        foreach (string id in removed)
        {
            changes[id] = ChangedIndex.Removed;
        }

        if (added.Count == 0)
        {
            // Rows unchanged: the arrays are shared (they are never written), only the id index changes.
            return new ItemCatalog(Ids, Categories, Titles, new ChangedIndex(root, changes));
        }

        int n = Ids.Length;
        var ids = new string[n + added.Count];
        var categories = new string[n + added.Count];
        var titles = new string?[n + added.Count];
        Ids.CopyTo(ids, 0);
        Categories.CopyTo(categories, 0);
        Titles.CopyTo(titles, 0);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < added.Count; i++)
        {
            var entry = added[i];
            if (string.IsNullOrWhiteSpace(entry.ItemId) || string.IsNullOrWhiteSpace(entry.Category))
            {
                throw new ArgumentException($"added[{i}]: blank item_id or category", nameof(added));
            }

            if (!seen.Add(entry.ItemId))
            {
                throw new ArgumentException($"added[{i}]: item_id '{entry.ItemId}' is added twice", nameof(added));
            }

            ids[n + i] = entry.ItemId;
            categories[n + i] = entry.Category;
            titles[n + i] = string.IsNullOrEmpty(entry.Title) ? null : entry.Title;
            changes[entry.ItemId] = n + i;
        }

        return new ItemCatalog(ids, categories, titles, new ChangedIndex(root, changes));
    }

    /// <summary>The package's id index with the changes made since: a changed id's row (or removal) wins over the package's.</summary>
    private sealed class ChangedIndex(IReadOnlyDictionary<string, int> root, Dictionary<string, int> changes) : IReadOnlyDictionary<string, int>
    {
        public const int Removed = -1;

        public IReadOnlyDictionary<string, int> Root { get; } = root;

        public Dictionary<string, int> Changes { get; } = changes;

        public bool TryGetValue(string key, out int value)
        {
            if (Changes.TryGetValue(key, out value))
            {
                return value != Removed;
            }

            return Root.TryGetValue(key, out value);
        }

        public int this[string key] => TryGetValue(key, out int row) ? row : throw new KeyNotFoundException($"item id '{key}' is not in the catalog");

        public bool ContainsKey(string key) => TryGetValue(key, out _);

        public IEnumerable<string> Keys => this.Select(p => p.Key);

        public IEnumerable<int> Values => this.Select(p => p.Value);

        public int Count
        {
            get
            {
                int n = 0;
                using var pairs = GetEnumerator();
                while (pairs.MoveNext())
                {
                    n++;
                }

                return n;
            }
        }

        public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
        {
            foreach (var pair in Root)
            {
                if (!Changes.ContainsKey(pair.Key))
                {
                    yield return pair;
                }
            }

            foreach (var pair in Changes)
            {
                if (pair.Value != Removed)
                {
                    yield return pair;
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
