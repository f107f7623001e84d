using Karma.Core.Package;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Model;

namespace Karma.Serving.Core.Items;

/// <summary>
/// The items one model version serves at one moment: the package's rows, then the rows added since it was loaded,
/// minus the removed ones. Every table is indexed by the same row, and a row never changes meaning (an upsert of a
/// known id appends a new row and removes the old one), so a row read from one snapshot is valid in every later one.
/// Immutable; <see cref="LiveCatalog"/> publishes a new snapshot per applied change.
/// </summary>
public sealed class ServedItems
{
    /// <summary>A snapshot.</summary>
    public ServedItems(int packageRows, ItemCatalog catalog, IRowVectors embeddings, IRowVectors historyTokens, ItemAttributes attributes,
        CatalogCategories categories, LexicalIndex lexical, IVectorIndex index, RemovedRows removed, string? position)
    {
        PackageRows = packageRows;
        Catalog = catalog;
        Embeddings = embeddings;
        HistoryTokens = historyTokens;
        Attributes = attributes;
        Categories = categories;
        Lexical = lexical;
        Index = index;
        Removed = removed;
        Position = position;
    }

    /// <summary>The package's items, nothing added or removed.</summary>
    public static ServedItems Of(ModelPackage package, IVectorIndex index)
    {
        ArgumentNullException.ThrowIfNull(package);
        return new ServedItems(package.Catalog.Count, package.Catalog, package.Embeddings, package.HistoryTokens, package.Attributes,
            new CatalogCategories(package.Catalog), package.Lexical, index, RemovedRows.None, position: null);
    }

    /// <summary>Rows that came with the package.</summary>
    public int PackageRows { get; }

    /// <summary>Ids, categories and titles by row; an id maps to its current row only.</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>Unit retrieval embeddings by row.</summary>
    public IRowVectors Embeddings { get; }

    /// <summary>History tokens by row.</summary>
    public IRowVectors HistoryTokens { get; }

    /// <summary>Categories and statistics by row.</summary>
    public ItemAttributes Attributes { get; }

    /// <summary>Category numbers by row, for request filters.</summary>
    public CatalogCategories Categories { get; }

    /// <summary>The BM25 index over every row's text.</summary>
    public LexicalIndex Lexical { get; }

    /// <summary>The embedding channel's index over every row.</summary>
    public IVectorIndex Index { get; }

    /// <summary>Rows no search returns.</summary>
    public RemovedRows Removed { get; }

    /// <summary>The position in the item log of the last change applied (null: none).</summary>
    public string? Position { get; }

    /// <summary>Rows added since the package (live or not).</summary>
    public int AddedRows => Catalog.Count - PackageRows;

    /// <summary>Items served: rows that are not removed.</summary>
    public int LiveItems => Catalog.Count - Removed.Count;

    /// <summary>
    /// A digest of what is served, independent of row order and of how the changes were batched: the sum of a 64-bit
    /// FNV-1a hash of each live item's id, category and title, in hex. Two replicas that applied the same log over the
    /// same package agree on it. A pass over the catalog (tens of milliseconds at 1M items): for admin calls, not per request.
    /// </summary>
    public string Digest()
    {
        static ulong Fnv(ulong h, string text)
        {
            foreach (char c in text)
            {
                h = (h ^ c) * 1099511628211;
            }

            return h;
        }

        ulong sum = 0;
        for (int row = 0; row < Catalog.Count; row++)
        {
            if (!Removed.Contains(row))
            {
                const string separator = "\u001f";
                ulong h = Fnv(Fnv(Fnv(14695981039346656037, Catalog.Ids[row]), separator), Catalog.Categories[row]);
                sum += Fnv(Fnv(h, separator), Catalog.Titles[row] ?? string.Empty);
            }
        }

        return sum.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>True when <paramref name="row"/> may be returned.</summary>
    public bool IsLive(int row) => (uint)row < (uint)Catalog.Count && !Removed.Contains(row);
}
