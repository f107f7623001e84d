namespace Karma.Search.Hybrid;

/// <summary>A channel's result: an item row and the channel's own score (inner product or BM25).</summary>
/// <param name="Row">Item-table row.</param>
/// <param name="Score">The channel's score; only its order matters to fusion.</param>
public readonly record struct ChannelHit(int Row, float Score);

/// <summary>
/// Merges the channels' ranked lists into one candidate set: duplicates merged (one candidate per row, with
/// every channel that found it), ordered by reciprocal-rank fusion (RRF, k = 60: Cormack et al. 2009), which needs
/// no calibration between an inner product and a BM25 score. Ties keep the lower row first.
/// </summary>
public static class HybridFusion
{
    /// <summary>The RRF constant: dampens the difference between the first ranks.</summary>
    public const int RrfK = 60;

    /// <summary>Fuses the channels' hits (each list best first, each at most its quota).</summary>
    public static CandidateSet Fuse(IReadOnlyList<ChannelHit> karma, IReadOnlyList<ChannelHit> lexical, IReadOnlyList<ChannelHit>? category = null)
    {
        ArgumentNullException.ThrowIfNull(karma);
        ArgumentNullException.ThrowIfNull(lexical);
        category ??= [];
        int capacity = karma.Count + lexical.Count + category.Count;
        if (capacity == 0)
        {
            return CandidateSet.Empty;
        }

        var slot = new Dictionary<int, int>(capacity);
        var rows = new List<int>(capacity);
        var channels = new List<RecallChannels>(capacity);
        var scores = new List<float>(capacity);
        void Add(IReadOnlyList<ChannelHit> hits, RecallChannels channel)
        {
            for (int rank = 0; rank < hits.Count; rank++)
            {
                int row = hits[rank].Row;
                float rrf = 1f / (RrfK + rank + 1);
                if (slot.TryGetValue(row, out int at))
                {
                    if ((channels[at] & channel) == 0)
                    {
                        channels[at] |= channel;
                        scores[at] += rrf;
                    }
                }
                else
                {
                    slot[row] = rows.Count;
                    rows.Add(row);
                    channels.Add(channel);
                    scores.Add(rrf);
                }
            }
        }

        Add(karma, RecallChannels.Karma);
        Add(lexical, RecallChannels.Lexical);
        Add(category, RecallChannels.Category);
        int[] order = Enumerable.Range(0, rows.Count).ToArray();
        Array.Sort(order, (x, y) => scores[x] != scores[y] ? scores[y].CompareTo(scores[x]) : rows[x].CompareTo(rows[y]));
        return new CandidateSet(order.Select(i => rows[i]).ToArray(), order.Select(i => channels[i]).ToArray(),
            order.Select(i => scores[i]).ToArray());
    }
}
