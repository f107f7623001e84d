using Karma.Core.Data;

namespace Karma.Core.Text;

/// <summary>The catalog text a <see cref="BpeTokenizer"/> is trained on.</summary>
public static class TokenizerCorpus
{
    /// <summary>
    /// Each item's title, description, category path and brand, then each non-blank query
    /// (repeated queries count again: their frequency is real). Pass only training-period queries
    /// so that test-period queries stay unseen.
    /// </summary>
    public static IEnumerable<string> FromCatalog(IEnumerable<Item> items, IEnumerable<string?>? queries = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            yield return item.Title;
            if (!string.IsNullOrWhiteSpace(item.Description))
            {
                yield return item.Description;
            }

            yield return item.Category;
            if (!string.IsNullOrWhiteSpace(item.Brand))
            {
                yield return item.Brand;
            }
        }

        foreach (string? query in queries ?? [])
        {
            if (!string.IsNullOrWhiteSpace(query))
            {
                yield return query;
            }
        }
    }
}
