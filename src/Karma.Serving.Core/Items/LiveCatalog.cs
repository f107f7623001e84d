using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Model;

namespace Karma.Serving.Core.Items;

/// <summary>What applying log entries did.</summary>
/// <param name="Added">Items added or replaced (each a new row).</param>
/// <param name="Removed">Items removed that were served.</param>
/// <param name="Refused">Items of upserts this model cannot take (the reasons are in <paramref name="Problems"/>); the rest of their entry applied.</param>
/// <param name="UnknownRemoved">Removals of ids the catalog did not hold.</param>
/// <param name="Problems">Why items were refused, one line each (at most a few).</param>
public sealed record ApplyResult(int Added, int Removed, int Refused, int UnknownRemoved, IReadOnlyList<string> Problems);

/// <summary>
/// The catalog of one model version as it changes while it serves: applies item-log entries on top of the package
/// (new items embedded by the package's item tower, added to the embedding and lexical channels and the catalog;
/// removed items taken out of every channel) and publishes each result as a new <see cref="ServedItems"/> snapshot.
/// One writer: <see cref="Apply"/> calls are serialized; readers take <see cref="Current"/> without locks.
/// </summary>
public sealed class LiveCatalog : IDisposable
{
    /// <summary>Problems listed per apply or validation before the rest are counted only.</summary>
    private const int MaxProblems = 20;

    private readonly ModelPackage _package;
    private readonly ItemTowerEncoder? _encoder;
    private readonly RowStore _embeddings;
    private readonly RowStore _history;
    private readonly Lazy<LexicalAppendix> _lexical;
    private readonly Lock _apply = new();
    private ServedItems _current;

    /// <summary>The package's items over <paramref name="index"/>, nothing applied yet.</summary>
    public LiveCatalog(ModelPackage package, IVectorIndex index)
    {
        ArgumentNullException.ThrowIfNull(package);
        _package = package;
        _current = ServedItems.Of(package, index);
        _encoder = ItemTowerEncoder.For(package, out string? reason);
        CannotAdd = reason;
        _embeddings = new RowStore(package.Embeddings.Cols);
        _history = new RowStore(package.HistoryTokens.Cols);
        _lexical = new Lazy<LexicalAppendix>(() => new LexicalAppendix(package.Lexical));
    }

    /// <summary>The items served now.</summary>
    public ServedItems Current => Volatile.Read(ref _current);

    /// <summary>Why this model cannot add items (no item tower), or null when it can.</summary>
    public string? CannotAdd { get; }

    /// <summary>
    /// What is wrong with a change for this model, one line per problem naming the item and field (empty when it can be
    /// applied in full): blank or repeated ids, a category the model does not know, image features of the wrong length or
    /// not finite; an upsert to a model without an item tower.
    /// </summary>
    public IReadOnlyList<string> Problems(ItemChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var problems = new List<string>();
        if (change.Kind == ItemChangeKind.Remove)
        {
            for (int i = 0; i < change.ItemIds.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(change.ItemIds[i]))
                {
                    problems.Add($"item_ids[{i}] is blank");
                }
            }

            return problems;
        }

        if (CannotAdd is not null && change.Items.Count > 0)
        {
            return [CannotAdd];
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < change.Items.Count && problems.Count < MaxProblems; i++)
        {
            if (ItemProblem(change.Items[i]) is { } p)
            {
                problems.Add($"items[{i}] ('{change.Items[i].ItemId}'): {p}");
            }
            else if (!seen.Add(change.Items[i].ItemId))
            {
                problems.Add($"items[{i}]: item_id '{change.Items[i].ItemId}' appears twice in one change");
            }
        }

        return problems;
    }

    private string? ItemProblem(Item item)
    {
        if (string.IsNullOrWhiteSpace(item.ItemId) || string.IsNullOrWhiteSpace(item.Title) || string.IsNullOrWhiteSpace(item.Category))
        {
            return string.IsNullOrWhiteSpace(item.ItemId) ? "item_id is blank" : string.IsNullOrWhiteSpace(item.Title) ? "title is blank" : "category is blank";
        }

        if (!_package.Attributes.HasLeaf(item.Category))
        {
            return $"category '{item.Category}' is not one of the model's {_package.Attributes.LeafCount} categories (a new category needs a new package)";
        }

        if (item.Price is { } price && (!double.IsFinite(price) || price < 0))
        {
            return $"price {price} is not a non-negative number";
        }

        return _encoder?.Problem(item);
    }

    /// <summary>
    /// Applies log entries in order and publishes the result; items this model cannot take are skipped and counted (an
    /// entry written for another model version may name a category this one lacks). Nothing is published when the item
    /// tower fails.
    /// </summary>
    public ApplyResult Apply(IReadOnlyList<(string Position, ItemChange Change)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return new ApplyResult(0, 0, 0, 0, []);
        }

        lock (_apply)
        {
            var current = Current;
            var problems = new List<string>();
            int refused = 0;
            // The final state of each id the entries touch, in order of first mention: an item, or null for removed.
            var final = new Dictionary<string, Item?>(StringComparer.Ordinal);
            foreach (var (position, change) in entries)
            {
                if (change.Kind == ItemChangeKind.Remove)
                {
                    foreach (string id in change.ItemIds)
                    {
                        final[id] = null;
                    }

                    continue;
                }

                foreach (var item in change.Items)
                {
                    if ((CannotAdd ?? ItemProblem(item)) is { } p)
                    {
                        refused++;
                        if (problems.Count < MaxProblems)
                        {
                            problems.Add($"{position}: '{item.ItemId}': {p}");
                        }

                        continue;
                    }

                    final[item.ItemId] = item;
                }
            }

            var added = final.Values.OfType<Item>().ToList();
            var removedIds = final.Where(p => p.Value is null).Select(p => p.Key).ToList();
            var oldRows = final.Keys.Select(current.Catalog.RowOf).Where(r => r >= 0).ToList();
            int unknownRemoved = removedIds.Count(id => current.Catalog.RowOf(id) < 0);
            // Embedded before anything changes: the item tower is the step that can fail.
            var (history, embeddings) = added.Count > 0 ? _encoder!.Encode(added) : ([], []);
            var next = Publish(current, added, removedIds, oldRows, history, embeddings, entries[^1].Position);
            Volatile.Write(ref _current, next);
            return new ApplyResult(added.Count, removedIds.Count - unknownRemoved, refused, unknownRemoved, problems);
        }
    }

    private ServedItems Publish(ServedItems current, List<Item> added, List<string> removedIds, List<int> oldRows, float[] history,
        float[] embeddings, string position)
    {
        int rows = current.Catalog.Count;
        if (_embeddings.Count != rows - current.PackageRows || _history.Count != _embeddings.Count)
        {
            throw new InvalidOperationException($"live catalog out of step: {rows - current.PackageRows} added rows, {_embeddings.Count} embeddings, {_history.Count} history tokens");
        }

        var catalog = current.Catalog.With(added.Select(i => new ItemCatalogEntry(i.ItemId, i.Category, i.Title)).ToList(), removedIds);
        var categories = added.Select(i => i.Category).ToList();
        var statistics = ItemStatistics.Compute(new int[added.Count], added.Select(i => i.Price).ToList(), new int[added.Count]);
        var attributes = current.Attributes.With(categories, statistics);
        var filterCategories = current.Categories.With(categories);
        var lexical = added.Count > 0 ? _lexical.Value.Append(added.Select(LexicalDocument.From).ToList()) : current.Lexical;
        _embeddings.Append(embeddings);
        _history.Append(history);
        int appended = _embeddings.Count;
        var embeddingRows = new AppendedRows(_package.Embeddings, _embeddings, appended);
        var historyRows = new AppendedRows(_package.HistoryTokens, _history, appended);
        var removed = current.Removed.With(oldRows);
        var baseIndex = current.Index is AppendedIndex a ? a.Inner : current.Index;
        return new ServedItems(current.PackageRows, catalog, embeddingRows, historyRows, attributes, filterCategories, lexical,
            new AppendedIndex(baseIndex, embeddingRows, removed), removed, position);
    }

    /// <summary>Drops the appended lexical documents (the model version is being disposed).</summary>
    public void Dispose()
    {
        if (_lexical.IsValueCreated)
        {
            _lexical.Value.Dispose();
        }
    }
}
