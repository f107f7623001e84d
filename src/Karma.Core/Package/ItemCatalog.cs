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
    private readonly Dictionary<string, int> _indexOf;

    internal ItemCatalog(string[] ids, string[] categories, string?[] titles, Dictionary<string, int> indexOf)
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
}
