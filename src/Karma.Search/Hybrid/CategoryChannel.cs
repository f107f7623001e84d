namespace Karma.Search.Hybrid;

/// <summary>
/// The intent-category recall channel: popular items of the leaf categories a request is most likely for
/// (<see cref="RequestContext.Intent"/>). Leaves are interleaved rather than exhausted one after another: an item's
/// key is its leaf's probability divided by √(1 + its popularity rank in the leaf), and the channel returns the items
/// of highest key. A sure intent (a query naming its category) still fills the channel with that leaf first; an
/// uncertain one (a browse request continuing one of several interests) gets the most popular items of each
/// plausible leaf, which is where the engaged item usually is. It brings the items of the right categories that
/// neither the query's words nor the embedding's nearest neighbours reach; the pre-ranker then orders them.
/// </summary>
public static class CategoryChannel
{
    /// <summary>Leaves less likely than this are not drawn from.</summary>
    public const float MinProbability = 0.02f;

    /// <summary>Up to <paramref name="k"/> items, highest key first; each hit's score is its key.</summary>
    public static List<ChannelHit> Recall(RequestContext request, ItemAttributes items, int k, Func<int, bool>? accept = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(items);
        var hits = new List<ChannelHit>(Math.Max(0, k));
        if (k <= 0)
        {
            return hits;
        }

        // A k-way merge over the leaves: each leaf's keys fall with its rank, so a max-heap of each leaf's next
        // accepted item yields the global order while visiting only about k items.
        float[] intent = request.Intent;
        var next = new PriorityQueue<(int Leaf, int Rank), (float Key, int Leaf)>(
            Comparer<(float Key, int Leaf)>.Create((a, b) => a.Key != b.Key ? b.Key.CompareTo(a.Key) : a.Leaf.CompareTo(b.Leaf)));
        for (int leaf = 0; leaf < intent.Length; leaf++)
        {
            if (intent[leaf] >= MinProbability && NextAccepted(items.ByLeafPopularity[leaf], 0, accept) is var first and >= 0)
            {
                next.Enqueue((leaf, first), (Key(intent[leaf], first), leaf));
            }
        }

        while (hits.Count < k && next.TryDequeue(out var at, out var priority))
        {
            int[] rows = items.ByLeafPopularity[at.Leaf];
            hits.Add(new ChannelHit(rows[at.Rank], priority.Key));
            if (NextAccepted(rows, at.Rank + 1, accept) is var rank and >= 0)
            {
                next.Enqueue((at.Leaf, rank), (Key(intent[at.Leaf], rank), at.Leaf));
            }
        }

        return hits;
    }

    private static float Key(float probability, int rank) => probability / MathF.Sqrt(1 + rank);

    private static int NextAccepted(int[] rows, int from, Func<int, bool>? accept)
    {
        for (int i = from; i < rows.Length; i++)
        {
            if (accept is null || accept(rows[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
