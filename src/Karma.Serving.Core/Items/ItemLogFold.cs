using Karma.Core.Data;

namespace Karma.Serving.Core.Items;

/// <summary>
/// A catalog with the item log's changes folded in: the input for the next export, whose package then supersedes the
/// folded entries (the compaction rule in docs/operations.md). An upserted id replaces its item in place, a new id is
/// appended, a removed id is dropped.
/// </summary>
public static class ItemLogFold
{
    /// <summary>What a fold produced.</summary>
    /// <param name="Items">The catalog, the original order kept, new items after it.</param>
    /// <param name="Removed">Ids the log removed that the catalog held (their events must go too).</param>
    /// <param name="Position">The position of the last entry folded in (null: the log was empty).</param>
    /// <param name="Entries">Entries read; <paramref name="Damaged"/> of them could not be and were skipped.</param>
    /// <param name="Damaged">Entries skipped.</param>
    public sealed record Result(List<Item> Items, HashSet<string> Removed, string? Position, int Entries, int Damaged);

    /// <summary>Folds every entry of <paramref name="log"/> into <paramref name="items"/>.</summary>
    public static async Task<Result> FoldAsync(IReadOnlyList<Item> items, IItemLog log, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(log);
        var state = new Dictionary<string, Item?>(StringComparer.Ordinal);
        var order = new List<string>(items.Count);
        foreach (var item in items)
        {
            state[item.ItemId] = item;
            order.Add(item.ItemId);
        }

        var original = new HashSet<string>(order, StringComparer.Ordinal);
        string? position = null;
        int entries = 0, damaged = 0;
        while (true)
        {
            var batch = await log.ReadAfterAsync(position, 1000, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var entry in batch)
            {
                entries++;
                position = entry.Position;
                if (entry.Change is not { } change)
                {
                    damaged++;
                    progress?.Report($"skipped: {entry.Problem}");
                    continue;
                }

                foreach (string id in change.ItemIds)
                {
                    if (state.ContainsKey(id))
                    {
                        state[id] = null;
                    }
                }

                foreach (var item in change.Items)
                {
                    if (!state.ContainsKey(item.ItemId))
                    {
                        order.Add(item.ItemId);
                    }

                    state[item.ItemId] = item;
                }
            }

            progress?.Report($"{entries:N0} entries folded");
        }

        var removed = new HashSet<string>(original.Where(id => state[id] is null), StringComparer.Ordinal);
        return new Result(order.Select(id => state[id]).OfType<Item>().ToList(), removed, position, entries, damaged);
    }
}
