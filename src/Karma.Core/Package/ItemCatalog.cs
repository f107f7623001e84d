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
