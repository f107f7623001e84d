namespace Karma.Search.Hybrid;

/// <summary>
/// The intent-category recall channel: the most popular items of the leaf categories a request is most likely for
/// (<see cref="RequestContext.Intent"/>), leaf after leaf in order of probability. It brings the items of the right
/// category that neither the query's words (another synonym, no description match) nor the embedding's nearest
/// neighbours (a history pointing elsewhere) reach; the pre-ranker then orders them.
/// </summary>
public static class CategoryChannel
{
    /// <summary>Leaves less likely than this are not drawn from.</summary>
    public const float MinProbability = 0.02f;

    /// <summary>Up to <paramref name="k"/> items; each hit's score is its leaf's intent probability.</summary>
    public static List<ChannelHit> Recall(RequestContext request, ItemAttributes items, int k, Func<int, bool>? accept = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(items);
        var hits = new List<ChannelHit>(Math.Max(0, k));
        if (k <= 0)
        {
            return hits;
        }

        float[] intent = request.Intent;
        int[] leaves = Enumerable.Range(0, intent.Length).Where(l => intent[l] >= MinProbability)
            .OrderByDescending(l => intent[l]).ThenBy(l => l).ToArray();
        foreach (int leaf in leaves)
        {
            foreach (int row in items.ByLeafPopularity[leaf])
            {
                if (hits.Count >= k)
                {
                    return hits;
                }

                if (accept is null || accept(row))
                {
                    hits.Add(new ChannelHit(row, intent[leaf]));
                }
            }
        }

        return hits;
    }
}
